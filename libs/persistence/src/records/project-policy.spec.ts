import { defaultPolicy, resolvePolicy } from '@aperture/persistence';

describe('resolvePolicy', () => {
  it('fills every default when nothing is given', () => {
    expect(resolvePolicy(undefined)).toEqual({ policy: defaultPolicy, errors: [] });
  });

  it('overrides only the fields given', () => {
    const { policy, errors } = resolvePolicy({
      standardize: { maxLongSide: 512 },
      compliance: { requireConsent: true },
    });
    expect(errors).toEqual([]);
    expect(policy.standardize).toEqual({ maxLongSide: 512, format: 'jpeg', quality: 85 });
    expect(policy.compliance.requireConsent).toBe(true);
    expect(policy.quality).toEqual(defaultPolicy.quality);
  });

  it('names every bad field', () => {
    const { errors } = resolvePolicy({
      quality: { minWidth: -1, maxBlur: 3, sharpness: 1 },
      standardize: { format: 'bmp', quality: 101 },
      annotation: 'yes',
      colour: {},
    });
    expect(errors).toEqual([
      { field: 'quality.minWidth', message: 'must be an integer from 1 to 100000' },
      { field: 'quality.maxBlur', message: 'must be a number from 0 to 1' },
      { field: 'quality.sharpness', message: 'is not a known setting' },
      { field: 'standardize.format', message: 'must be one of jpeg, webp, png' },
      { field: 'standardize.quality', message: 'must be an integer from 1 to 100' },
      { field: 'annotation', message: 'must be an object' },
      { field: 'colour', message: 'is not a policy section (quality, standardize, compliance, annotation)' },
    ]);
  });
});
