import { defaultPolicy } from '@aperture/policy';
import { planGeometry, targetBox } from './geometry';

const spec = (overrides: Partial<typeof defaultPolicy.standardize>) => ({
  ...defaultPolicy.standardize,
  ...overrides,
});
const landscape = { width: 4000, height: 3000 };

describe('targetBox', () => {
  it('is width × height, else a maxLongSide box in the aspect ratio, else none', () => {
    expect(targetBox(spec({ width: 640, height: 480 }))).toEqual({ width: 640, height: 480 });
    expect(targetBox(spec({ maxLongSide: 1000, aspectRatio: '16:9' }))).toEqual({ width: 1000, height: 563 });
    expect(targetBox(spec({ maxLongSide: 1000, aspectRatio: '3:4' }))).toEqual({ width: 750, height: 1000 });
    expect(targetBox(spec({}))).toBeUndefined();
  });
});

describe('planGeometry', () => {
  it('contain: long side at most maxLongSide, never enlarged unless upscale', () => {
    expect(planGeometry(landscape, spec({ maxLongSide: 1024 }))).toEqual({
      resize: { width: 1024, height: 768 },
      output: { width: 1024, height: 768 },
    });
    expect(planGeometry({ width: 300, height: 200 }, spec({ maxLongSide: 1024 }))).toEqual({
      output: { width: 300, height: 200 },
    });
    expect(planGeometry({ width: 300, height: 200 }, spec({ maxLongSide: 600, upscale: true }))).toEqual({
      resize: { width: 600, height: 400 },
      output: { width: 600, height: 400 },
    });
  });

  it('cover: the centred crop of the box ratio, then resized to the box', () => {
    expect(planGeometry(landscape, spec({ width: 500, height: 500, fit: 'cover' }))).toEqual({
      crop: { left: 500, top: 0, width: 3000, height: 3000 },
      resize: { width: 500, height: 500 },
      output: { width: 500, height: 500 },
    });
    // Smaller than the box and no upscale: the box's ratio at the image's own scale.
    expect(
      planGeometry({ width: 300, height: 200 }, spec({ width: 500, height: 500, fit: 'cover' })),
    ).toEqual({
      crop: { left: 50, top: 0, width: 200, height: 200 },
      output: { width: 200, height: 200 },
    });
  });

  it('pad: contained, then padded to exactly the box, centred', () => {
    expect(planGeometry(landscape, spec({ width: 500, height: 500, fit: 'pad' }))).toEqual({
      resize: { width: 500, height: 375 },
      pad: { top: 62, bottom: 63, left: 0, right: 0 },
      output: { width: 500, height: 500 },
    });
  });

  it('exact: stretched to the box', () => {
    expect(planGeometry(landscape, spec({ width: 300, height: 300, fit: 'exact' }))).toEqual({
      resize: { width: 300, height: 300 },
      output: { width: 300, height: 300 },
    });
  });

  it('a maxLongSide box in a portrait ratio', () => {
    expect(planGeometry(landscape, spec({ maxLongSide: 800, aspectRatio: '3:4', fit: 'cover' }))).toEqual({
      crop: { left: 875, top: 0, width: 2250, height: 3000 },
      resize: { width: 600, height: 800 },
      output: { width: 600, height: 800 },
    });
  });
});
