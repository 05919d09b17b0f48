import { defaultPolicy, resolvePolicy, storedPolicy } from '@aperture/policy';

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
    expect(policy.standardize).toEqual({ ...defaultPolicy.standardize, maxLongSide: 512 });
    expect(policy.compliance.requireConsent).toBe(true);
    expect(policy.quality).toEqual(defaultPolicy.quality);
  });

  it('names every bad field', () => {
    const { errors } = resolvePolicy({
      quality: { minWidth: -1, maxBlurWidth: 300, sharpness: 1 },
      standardize: { format: 'bmp', quality: 101 },
      annotation: 'yes',
      colour: {},
    });
    expect(errors).toEqual([
      { field: 'quality.minWidth', message: 'must be an integer from 1 to 100000' },
      { field: 'quality.maxBlurWidth', message: 'must be a number from 0.1 to 100' },
      { field: 'quality.sharpness', message: 'is not a known setting' },
      { field: 'standardize.format', message: 'must be one of jpeg, webp, png, avif' },
      { field: 'standardize.quality', message: 'must be an integer from 1 to 100' },
      { field: 'annotation', message: 'must be an object' },
      {
        field: 'colour',
        message: 'is not a policy section (quality, standardize, compliance, annotation, dataset)',
      },
    ]);
  });

  it('reads a quality section written before issue 22 (maxBlur): off stays off, any other value takes the defaults', () => {
    const old = (quality: Record<string, unknown>) => resolvePolicy({ quality });
    expect(old({ maxBlur: 0.3, minWidth: 200 })).toEqual({
      policy: { ...defaultPolicy, quality: { ...defaultPolicy.quality, minWidth: 200 } },
      errors: [],
    });
    expect(old({ maxBlur: 1 }).policy.quality).toMatchObject({ maxBlurWidth: 100, maxBlurAnisotropy: 100 });
    expect(old({ maxBlur: 1, maxBlurWidth: 2 }).policy.quality).toMatchObject({ maxBlurWidth: 2 });
    expect(old({ maxBlur: 7 }).errors).toEqual([
      { field: 'quality.maxBlur', message: 'must be a number from 0 to 1' },
    ]);
    expect('maxBlur' in old({ maxBlur: 0.5 }).policy.quality).toBe(false);
  });

  it('completes a stored policy: settings added since take their defaults, maxBlur is mapped', () => {
    const { maxBlurWidth: _width, maxBlurAnisotropy: _anisotropy, ...before22 } = defaultPolicy.quality;
    const stored = { quality: { ...before22, maxBlur: 1 }, standardize: { maxLongSide: 512 } };
    const policy = storedPolicy(stored as never);
    expect(policy.quality).toEqual({ ...defaultPolicy.quality, maxBlurWidth: 100, maxBlurAnisotropy: 100 });
    expect(policy.standardize).toEqual({ ...defaultPolicy.standardize, maxLongSide: 512 });
    expect(storedPolicy({ quality: { ...before22, maxBlur: 0.5 } } as never).quality).toEqual(
      defaultPolicy.quality,
    );
  });

  it('checks the standardize output spec, field by field and across fields', () => {
    const spec = (standardize: unknown) => resolvePolicy({ standardize });
    expect(
      spec({
        width: 640,
        height: 480,
        fit: 'pad',
        background: '#000000',
        format: 'png',
        bitDepth: 16,
        alpha: 'flatten',
        animated: 'reject',
        keepMetadata: ['copyright', 'artist'],
        thumbnailSize: 0,
        upscale: true,
      }).errors,
    ).toEqual([]);
    expect(spec({ aspectRatio: '16:9', fit: 'cover' }).policy.standardize).toMatchObject({
      aspectRatio: '16:9',
      fit: 'cover',
      maxLongSide: 1024,
    });
    expect(
      spec({
        fit: 'stretch',
        aspectRatio: '4/3',
        background: 'white',
        bitDepth: 12,
        keepMetadata: ['gps'],
        thumbnailSize: -1,
      }).errors.map((error) => error.field),
    ).toEqual([
      'standardize.fit',
      'standardize.aspectRatio',
      'standardize.background',
      'standardize.bitDepth',
      'standardize.keepMetadata',
      'standardize.thumbnailSize',
    ]);
    expect(spec({ width: 640 }).errors).toEqual([
      { field: 'standardize.width', message: 'width and height must be set together (or both 0)' },
    ]);
    expect(spec({ width: 64, height: 64, aspectRatio: '1:1' }).errors[0]?.field).toBe(
      'standardize.aspectRatio',
    );
    expect(spec({ bitDepth: 16 }).errors).toEqual([
      { field: 'standardize.bitDepth', message: '16 needs format png' },
    ]);
  });
});
