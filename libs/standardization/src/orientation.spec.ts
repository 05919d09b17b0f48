import { sharp } from '@aperture/imaging';
import { standardizeImage } from './standardize';
import { corpus, meanDifference, pixelsOf, spec, thumbnail } from './testing/helpers';

// The corpus' orientation/ set: one photo stored in all eight EXIF orientations.
describe.each(['landscape', 'portrait'])('EXIF orientation, the %s series', (series) => {
  const upright = standardizeImage(corpus(`cameras/jpg/orientation/${series}_1.jpg`), spec());

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('orientation %i comes out upright, like orientation 1', async (n) => {
    const { bytes, result } = await standardizeImage(
      corpus(`cameras/jpg/orientation/${series}_${n}.jpg`),
      spec(),
    );
    const reference = await upright;
    expect(result.appliedOrientation).toBe(n);
    expect([result.width, result.height]).toEqual(series === 'landscape' ? [600, 450] : [450, 600]);
    // The same picture, not a mirrored or rotated one (those differ by far more than 6 levels).
    expect(meanDifference(await thumbnail(bytes), await thumbnail(reference.bytes))).toBeLessThan(6);
    const mirrored = await sharp(reference.bytes).flop().toBuffer();
    expect(meanDifference(await thumbnail(mirrored), await thumbnail(reference.bytes))).toBeGreaterThan(15);
    // The orientation tag is gone: no EXIF block at all, and sharp sees the default orientation.
    const out = await sharp(bytes).metadata();
    expect(out.exif).toBeUndefined();
    expect(out.orientation).toBeUndefined();
  });
});

describe('TIFF orientation', () => {
  // The corpus' TIFFs are all stored upright; each orientation is written here into a TIFF whose
  // pixels are stored the way that orientation describes, from the corpus file itself.
  const source = corpus('cameras/tiff/Picoawards.tiff');
  const stored: Record<number, (image: ReturnType<typeof sharp>) => ReturnType<typeof sharp>> = {
    2: (image) => image.flop(),
    3: (image) => image.rotate(180),
    4: (image) => image.flip(),
    6: (image) => image.rotate(270),
    8: (image) => image.rotate(90),
  };

  it.each([2, 3, 4, 6, 8])('orientation %i comes out pixel for pixel like the upright file', async (n) => {
    const tiff = await stored[n]!(sharp(source))
      .withMetadata({ orientation: n })
      .tiff({ compression: 'lzw' })
      .toBuffer();
    expect((await sharp(tiff).metadata()).orientation).toBe(n);
    const lossless = spec({ format: 'png' });
    const [expected, actual] = await Promise.all([
      standardizeImage(source, lossless),
      standardizeImage(tiff, lossless),
    ]);
    expect(actual.result.appliedOrientation).toBe(n);
    expect(meanDifference(await pixelsOf(actual.bytes), await pixelsOf(expected.bytes))).toBe(0);
  });
});

describe('orientation with a crop', () => {
  it('crops the upright image, not the stored one (cover to 1:1 of orientation 6 = of orientation 1)', async () => {
    const square = spec({ aspectRatio: '1:1', fit: 'cover', maxLongSide: 300, format: 'png' });
    const [upright, rotated] = await Promise.all([
      standardizeImage(corpus('cameras/jpg/orientation/portrait_1.jpg'), square),
      standardizeImage(corpus('cameras/jpg/orientation/portrait_6.jpg'), square),
    ]);
    expect([rotated.result.width, rotated.result.height]).toEqual([300, 300]);
    expect(meanDifference(await thumbnail(rotated.bytes), await thumbnail(upright.bytes))).toBeLessThan(6);
  });
});
