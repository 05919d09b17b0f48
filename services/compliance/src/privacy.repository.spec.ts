import { defaultPolicy } from '@aperture/policy';
import { DEFAULT_DETECTION } from '@aperture/redaction';

describe('the compliance stage and aperture redact', () => {
  it('detect with the same defaults: the default policy is the library default', () => {
    const { minScore, minFaceSize, plates } = defaultPolicy.compliance.redaction;
    expect({ minScore, minFaceSize, plates }).toEqual(DEFAULT_DETECTION);
  });
});
