import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { sharp } from '@aperture/stage-runtime';
import { standardizeImage } from './standardize';

// Real files, read in place from the shared corpus (never copied into the repository).
const corpus = (path: string) => readFileSync(corpusPath(path));
const spec = { maxLongSide: 1024, format: 'jpeg' as const, quality: 85 };

/** A 16×12 grey thumbnail, to compare what two images show. */
const thumbnail = (bytes: Buffer) =>
  sharp(bytes).resize(16, 12, { fit: 'fill' }).greyscale().raw().toBuffer();
const meanDifference = (a: Buffer, b: Buffer) =>
  a.reduce((sum, value, i) => sum + Math.abs(value - b[i]!), 0) / a.length;

describe('standardizeImage', () => {
  describe.each(['landscape', 'portrait'])('EXIF orientation of the %s series', (series) => {
    const reference = standardizeImage(corpus(`cameras/jpg/orientation/${series}_1.jpg`), spec);

    it.each([1, 2, 3, 4, 5, 6, 7, 8])(
      'makes orientation %i upright, same size as orientation 1',
      async (n) => {
        const { bytes, result } = await standardizeImage(
          corpus(`cameras/jpg/orientation/${series}_${n}.jpg`),
          spec,
        );
        const upright = await reference;
        expect(result.appliedOrientation).toBe(n);
        expect([result.width, result.height]).toEqual(series === 'landscape' ? [600, 450] : [450, 600]);
        expect([result.width, result.height]).toEqual([upright.result.width, upright.result.height]);
        // The same picture, not a mirrored or rotated one: a flipped image differs by far more than 10.
        expect(meanDifference(await thumbnail(bytes), await thumbnail(upright.bytes))).toBeLessThan(10);
        const mirrored = await sharp(upright.bytes).flop().toBuffer();
        expect(meanDifference(await thumbnail(mirrored), await thumbnail(upright.bytes))).toBeGreaterThan(10);
      },
    );
  });

  it.each([
    ['CMYK JPEG', 'formats/Channel_digital_image_CMYK_color.jpg', 'cmyk'],
    ['CMYK JPEG without profile', 'formats/Channel_digital_image_CMYK_color_no_profile.jpg', 'cmyk'],
    ['16-bit RGB PNG', 'formats/Flag_of_the_Netherlands-16bit.png', 'rgb16'],
    ['16-bit grey PNG with alpha', 'formats/16-bit-grey-alpha.png', 'grey16'],
    ['grey JPEG', 'formats/concert.jpg', 'b-w'],
    ['CIELAB TIFF', 'formats/cielab-dagams.tiff', 'labs'],
    ['Display P3 PNG', 'formats/p3.png', 'srgb'],
  ])('outputs 8-bit sRGB for a %s', async (_name, path, source) => {
    const { bytes, result } = await standardizeImage(corpus(path), spec);
    expect(result.sourceColorSpace).toBe(source);
    const out = await sharp(bytes).metadata();
    expect(out).toMatchObject({ format: 'jpeg', space: 'srgb', depth: 'uchar', channels: 3 });
  });

  it('shrinks to maxLongSide, keeping the aspect ratio', async () => {
    const { bytes, result } = await standardizeImage(corpus('cameras/jpg/Reconyx_HC500_Hyperfire.jpg'), {
      ...spec,
      maxLongSide: 512,
    });
    expect(result).toMatchObject({ width: 512, height: 384 });
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 512, height: 384 });
  });

  it('never enlarges a small image', async () => {
    const { result } = await standardizeImage(corpus('formats/swiss.png'), spec);
    expect(result).toMatchObject({ width: 68, height: 68 });
  });

  it('keeps no metadata: no EXIF (GPS), XMP, IPTC or ICC', async () => {
    const source = corpus('cameras/jpg/gps/DSCN0010.jpg');
    expect((await sharp(source).metadata()).exif).toBeDefined();
    const { bytes, result } = await standardizeImage(source, spec);
    const out = await sharp(bytes).metadata();
    expect([out.exif, out.xmp, out.iptc, out.icc]).toEqual([undefined, undefined, undefined, undefined]);
    expect(result.hadIccProfile).toBe(false);
  });

  it('encodes WebP and PNG when the spec asks, PNG keeping alpha', async () => {
    const webp = await standardizeImage(corpus('formats/4.webp'), { ...spec, format: 'webp' });
    expect(webp).toMatchObject({ contentType: 'image/webp', extension: 'webp', result: { format: 'webp' } });
    expect((await sharp(webp.bytes).metadata()).format).toBe('webp');
    const png = await standardizeImage(corpus('formats/with-alpha.png'), { ...spec, format: 'png' });
    expect(await sharp(png.bytes).metadata()).toMatchObject({
      format: 'png',
      hasAlpha: true,
      depth: 'uchar',
    });
  });

  it('fails on a truncated file', async () => {
    await expect(standardizeImage(corpus('formats/truncated.jpg'), spec)).rejects.toThrow();
  });
});
