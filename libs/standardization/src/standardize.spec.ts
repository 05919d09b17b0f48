import { createHash } from 'node:crypto';
import type { ExifTool } from 'exiftool-vendored';
import { sharp } from '@aperture/imaging';
import { standardizeImage, StandardizeRefused } from './standardize';
import {
  corpus,
  exiftoolTags,
  meanDifference,
  newExifTool,
  pixelsOf,
  spec,
  thumbnail,
} from './testing/helpers';

const lossless = spec({ format: 'png', thumbnailSize: 0 });

describe('HDR JPEGs', () => {
  let exiftool: ExifTool;
  beforeAll(() => {
    exiftool = newExifTool();
  });
  afterAll(async () => exiftool.end());

  it('a JPEG with a gain map (Ultra HDR) comes out as its SDR rendition, the gain map gone', async () => {
    const source = corpus('formats/gain-map.jpg');
    expect((await sharp(source).metadata()).gainMap).toBeDefined();
    const sourceTags = await exiftoolTags(exiftool, source);
    expect(sourceTags['MPF0:NumberOfImages']).toBe(2);
    const { bytes, result } = await standardizeImage(source, lossless);
    expect([result.width, result.height]).toEqual([1024, 576]);
    // The SDR rendition is the primary image, as an SDR display shows it without the gain map.
    const sdr = await pixelsOf(sharp(source).resize(1024, 576, { fit: 'fill', kernel: 'lanczos3' }));
    expect(meanDifference(await pixelsOf(bytes), sdr)).toBeLessThan(1);
    const tags = await exiftoolTags(exiftool, bytes);
    expect(Object.keys(tags).filter((key) => /MPF|hdrgm|GContainer|GainMap|Directory/i.test(key))).toEqual(
      [],
    );
    expect((await sharp(bytes).metadata()).gainMap).toBeUndefined();
  });

  it.each(['cameras/jpg/hdr/iphone_hdr_YES.jpg', 'cameras/jpg/hdr/canon_hdr_YES.jpg'])(
    'a camera HDR JPEG (%s) comes out as the SDR picture it holds, upright',
    async (path) => {
      const { bytes, result } = await standardizeImage(corpus(path), lossless);
      const upright = await pixelsOf(
        sharp(corpus(path))
          .autoOrient()
          .resize(result.width, result.height, { fit: 'fill', kernel: 'lanczos3' }),
      );
      expect(meanDifference(await pixelsOf(bytes), upright)).toBeLessThan(1);
      expect(result.width > result.height).toBe(path.includes('iphone'));
    },
  );
});

describe('animated images', () => {
  it.each(['formats/animated-loop-3.gif', 'formats/animated-loop-3.webp'])(
    '%s: the first frame, or a refusal when the spec says so',
    async (path) => {
      const { bytes, result } = await standardizeImage(corpus(path), lossless);
      expect(result).toMatchObject({ sourceFrames: 10 });
      const first = await pixelsOf(sharp(corpus(path), { page: 0 }));
      const later = await pixelsOf(sharp(corpus(path), { page: 5 }));
      const out = await pixelsOf(bytes);
      expect(meanDifference(out, first)).toBe(0);
      expect(meanDifference(out, later)).toBeGreaterThan(1);
      await expect(standardizeImage(corpus(path), spec({ animated: 'reject' }))).rejects.toMatchObject({
        name: 'StandardizeRefused',
        code: 'animated',
      });
    },
  );
});

describe('size, fit and alpha', () => {
  const photo = corpus('cameras/jpg/orientation/landscape_1.jpg'); // 600 × 450

  it('pad: exactly the box, the picture centred on the background colour', async () => {
    const { bytes, result } = await standardizeImage(
      photo,
      spec({ width: 300, height: 300, fit: 'pad', background: '#ff0000', format: 'png' }),
    );
    expect([result.width, result.height]).toEqual([300, 300]);
    const out = await pixelsOf(bytes);
    const at = (x: number, y: number) => [...out.data.subarray((y * 300 + x) * 3, (y * 300 + x) * 3 + 3)];
    expect([at(0, 0), at(150, 10), at(299, 299)]).toEqual([
      [255, 0, 0],
      [255, 0, 0],
      [255, 0, 0],
    ]);
    const picture = await pixelsOf(sharp(bytes).extract({ left: 0, top: 37, width: 300, height: 225 }));
    const contained = await standardizeImage(photo, spec({ maxLongSide: 300, format: 'png' }));
    expect(meanDifference(picture, await pixelsOf(contained.bytes))).toBeLessThan(1);
  });

  it('cover: exactly the box, the centre of the picture', async () => {
    const { bytes } = await standardizeImage(
      photo,
      spec({ width: 300, height: 300, fit: 'cover', format: 'png' }),
    );
    const contained = await standardizeImage(photo, spec({ maxLongSide: 400, format: 'png' }));
    const centre = await pixelsOf(
      sharp(contained.bytes).extract({ left: 50, top: 0, width: 300, height: 300 }),
    );
    expect(meanDifference(await pixelsOf(bytes), centre)).toBeLessThan(3);
  });

  it('exact: stretched to width × height', async () => {
    const { result } = await standardizeImage(photo, spec({ width: 200, height: 100, fit: 'exact' }));
    expect([result.width, result.height]).toEqual([200, 100]);
  });

  it('enlarges a small image only when upscale is allowed', async () => {
    const small = corpus('formats/swiss.png'); // 68 × 68
    expect((await standardizeImage(small, spec({ maxLongSide: 136 }))).result).toMatchObject({
      width: 68,
      height: 68,
    });
    expect((await standardizeImage(small, spec({ maxLongSide: 136, upscale: true }))).result).toMatchObject({
      width: 136,
      height: 136,
    });
  });

  it('keeps alpha where the format can, flattens onto the background otherwise', async () => {
    const source = corpus('formats/with-alpha.png');
    const alpha = await pixelsOf(sharp(source).ensureAlpha().extractChannel(3));
    const kept = await pixelsOf((await standardizeImage(source, lossless)).bytes);
    expect(kept.channels).toBe(4);
    const keptAlpha = await pixelsOf(
      sharp((await standardizeImage(source, lossless)).bytes).extractChannel(3),
    );
    expect(meanDifference(keptAlpha, alpha)).toBe(0);

    // full-transparent.png: every pixel transparent, so a flattened output is the background itself.
    const clear = corpus('formats/full-transparent.png');
    for (const flattened of [
      await standardizeImage(clear, { ...lossless, alpha: 'flatten', background: '#00ff00' }),
      await standardizeImage(clear, spec({ background: '#00ff00', format: 'jpeg', quality: 100 })),
    ]) {
      const out = await pixelsOf(flattened.bytes);
      expect(out.channels).toBe(3);
      for (let p = 0; p < out.width * out.height; p += 97) {
        expect(out.data[p * 3]!).toBeLessThan(8);
        expect(out.data[p * 3 + 1]!).toBeGreaterThan(247);
        expect(out.data[p * 3 + 2]!).toBeLessThan(8);
      }
    }
  });

  it('encodes every format: JPEG, WebP, PNG, AVIF, with a matching thumbnail', async () => {
    for (const [format, decoded] of [
      ['jpeg', 'jpeg'],
      ['webp', 'webp'],
      ['png', 'png'],
      ['avif', 'heif'],
    ] as const) {
      const out = await standardizeImage(photo, spec({ format, thumbnailSize: 128 }));
      expect(await sharp(out.bytes).metadata()).toMatchObject({ format: decoded, width: 600, height: 450 });
      expect(out.thumbnail).toMatchObject({ width: 128, height: 96 });
      expect(await sharp(out.thumbnail!.bytes).metadata()).toMatchObject({ format: decoded, width: 128 });
      const big = await thumbnail(out.bytes);
      expect(meanDifference(await thumbnail(out.thumbnail!.bytes), big)).toBeLessThan(4);
    }
  });
});

describe('reproducibility and lineage', () => {
  it.each(['jpeg', 'webp', 'png', 'avif'] as const)(
    '%s: the same input and spec give the same bytes, also when run side by side',
    async (format) => {
      const source = corpus('cameras/jpg/gps/DSCN0012.jpg');
      const runs = await Promise.all(
        [1, 2, 3].map(() => standardizeImage(source, spec({ format, maxLongSide: 320 }))),
      );
      const digests = runs.map((run) => createHash('sha256').update(run.bytes).digest('hex'));
      expect(new Set(digests).size).toBe(1);
      expect(runs[0]!.result.sha256).toBe(digests[0]);
      expect(runs[0]!.result.sizeBytes).toBe(String(runs[0]!.bytes.length));
      expect(runs[0]!.thumbnail!.bytes.equals(runs[2]!.thumbnail!.bytes)).toBe(true);
    },
  );

  it('records every operation with its parameters, and the spec applied', async () => {
    const { result } = await standardizeImage(
      corpus('cameras/jpg/orientation/portrait_6.jpg'),
      spec({ aspectRatio: '1:1', fit: 'cover', maxLongSide: 300, keepMetadata: [] }),
    );
    expect(result.operations).toEqual([
      {
        name: 'decode',
        params: {
          format: 'jpeg',
          width: '600',
          height: '450',
          frame: '1',
          frames: '1',
          bitDepth: '8',
          colourSpace: 'srgb',
        },
      },
      { name: 'auto-orient', params: { orientation: '6' } },
      { name: 'icc-transform', params: { from: 'Generic RGB Profile', to: 'sRGB', intent: 'perceptual' } },
      { name: 'crop', params: { left: '0', top: '75', width: '450', height: '450' } },
      { name: 'resize', params: { width: '300', height: '300', kernel: 'lanczos3', fit: 'cover' } },
      { name: 'strip-metadata', params: { kept: '' } },
      {
        name: 'encode',
        params: { format: 'jpeg', quality: '85', chromaSubsampling: '4:2:0', bitDepth: '8' },
      },
      { name: 'thumbnail', params: { width: '256', height: '256', format: 'jpeg' } },
    ]);
    expect(result).toMatchObject({
      width: 300,
      height: 300,
      sourceWidth: 600,
      sourceHeight: 450,
      sourceIccDescription: 'Generic RGB Profile',
      spec: { fit: 'cover', aspectRatio: '1:1', maxLongSide: 300, keepMetadata: { fields: [] } },
    });
  });
});

describe('refusals', () => {
  it.each([
    ['a truncated JPEG', 'formats/truncated.jpg', 'corrupt'],
    ['a JPEG with a corrupt header', 'formats/corrupt-header.jpg', 'corrupt'],
    ['a truncated PNG', 'formats/truncated.png', 'corrupt'],
    ['an SVG (not a format the pipeline takes)', 'formats/check.svg', 'unsupported_format'],
    ['an image past the pixel limit', 'formats/giant-image.jpg', 'too_large'],
  ])('refuses %s (file %s, reason %s)', async (_name, path, code) => {
    const error: unknown = await standardizeImage(corpus(path), spec()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StandardizeRefused);
    expect(error).toMatchObject({ code });
  });
});
