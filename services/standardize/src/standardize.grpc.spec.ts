import { standardizeV1 } from '@aperture/contracts';
import { defaultPolicy } from '@aperture/policy';
import { previewSpec } from './standardize.grpc';

describe('previewSpec', () => {
  it('takes the project defaults for every field the request leaves unset', () => {
    expect(previewSpec(undefined)).toEqual(defaultPolicy.standardize);
    expect(previewSpec(standardizeV1.OutputSpec.fromPartial({}))).toEqual(defaultPolicy.standardize);
  });

  it('applies the fields that are set, "no metadata" included', () => {
    expect(
      previewSpec(
        standardizeV1.OutputSpec.fromPartial({
          format: 'png',
          width: 64,
          height: 32,
          fit: 'cover',
          upscale: true,
          bitDepth: 16,
          keepMetadata: { fields: [] },
          thumbnailSize: 0,
        }),
      ),
    ).toEqual({
      ...defaultPolicy.standardize,
      format: 'png',
      width: 64,
      height: 32,
      fit: 'cover',
      upscale: true,
      bitDepth: 16,
      keepMetadata: [],
      thumbnailSize: 0,
    });
  });

  it('names every invalid field, checked like a project policy', () => {
    expect(
      previewSpec(standardizeV1.OutputSpec.fromPartial({ format: 'bmp', quality: 101, alpha: 'drop' })),
    ).toBe(
      'spec.format must be one of jpeg, webp, png, avif; spec.quality must be an integer from 1 to 100; spec.alpha must be one of keep, flatten',
    );
    expect(previewSpec(standardizeV1.OutputSpec.fromPartial({ width: 10 }))).toBe(
      'spec.width width and height must be set together (or both 0)',
    );
  });
});
