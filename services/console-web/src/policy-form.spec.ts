import { policyFields, policyFromFields } from './policy-form';
import { parseRoute, hrefOf } from './routes';

describe('policy form', () => {
  const policy = {
    quality: { maxBlurWidth: 1.4, rejectDuplicates: true },
    standardize: { format: 'jpeg', keepMetadata: ['copyright'] },
  };

  it('turns a policy into typed fields and back unchanged', () => {
    const fields = policyFields(policy);
    expect(fields.map((field) => [field.path, field.kind, field.value])).toEqual([
      ['quality.maxBlurWidth', 'number', '1.4'],
      ['quality.rejectDuplicates', 'boolean', 'true'],
      ['standardize.format', 'text', 'jpeg'],
      ['standardize.keepMetadata', 'json', '["copyright"]'],
    ]);
    expect(policyFromFields(fields)).toEqual({ policy, errors: [] });
  });

  it('sends what the API must judge, and stops only what cannot be parsed', () => {
    const fields = policyFields(policy).map((field) =>
      field.path === 'quality.maxBlurWidth'
        ? { ...field, value: '7' }
        : field.path === 'standardize.keepMetadata'
          ? { ...field, value: '[copyright' }
          : field,
    );
    const { policy: sent, errors } = policyFromFields(fields);
    expect(sent['quality']!['maxBlurWidth']).toBe(7); // out of range: the API says so
    expect(errors).toEqual([{ field: 'standardize.keepMetadata', message: 'is not valid JSON' }]);
    const blank = policyFields(policy).map((field) =>
      field.kind === 'number' ? { ...field, value: ' ' } : field,
    );
    expect(policyFromFields(blank).policy['quality']!['maxBlurWidth']).toBe(' ');
  });
});

describe('routes', () => {
  it('round-trips every page through the hash', () => {
    for (const route of [
      { page: 'batches' },
      { page: 'batch', batchId: 'bat_1' },
      { page: 'image', imageId: 'img_a/b' },
      { page: 'projects', projectId: 'prj_1' },
      { page: 'projects' },
      { page: 'report', projectId: 'prj_1' },
      { page: 'annotate' },
      { page: 'campaigns' },
      { page: 'campaigns', campaignId: 'cmp_1' },
    ] as const)
      expect(parseRoute(hrefOf(route))).toEqual(route);
    expect(parseRoute('')).toEqual({ page: 'batches' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'batches' });
  });
});
