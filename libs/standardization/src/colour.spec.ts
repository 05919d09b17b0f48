import { sharp } from '@aperture/imaging';
import { standardizeImage } from './standardize';
import { adobeRgb, displayP3, labToSrgb8, proPhotoRgb, type RgbSpace, toSrgb8 } from './testing/colour';
import { corpus, meanDifference, type Pixels, pixelsOf, spec } from './testing/helpers';

// Lossless output and no resizing, so each derivative pixel can be checked against its source pixel.
const exact = spec({ format: 'png', maxLongSide: 4096, thumbnailSize: 0 });

/** Per-sample differences between the derivative and `expected(i)` of each source pixel. */
function compare(
  out: Pixels,
  expected: (pixel: number) => number[],
): { mean: number; max: number; p95: number } {
  let sum = 0;
  let max = 0;
  let n = 0;
  const all: number[] = [];
  for (let p = 0; p < out.width * out.height; p++) {
    const want = expected(p);
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(out.data[p * out.channels + c]! - want[c]!);
      sum += d;
      max = Math.max(max, d);
      n++;
      all.push(d);
    }
  }
  all.sort((a, b) => a - b);
  return { mean: sum / n, max, p95: all[Math.floor(n * 0.95)]! };
}

/** The source's stored RGB values (its ICC profile ignored), 0..1. */
async function storedRgb(path: string, sixteen: boolean): Promise<(pixel: number) => number[]> {
  const image = sharp(corpus(path), { ignoreIcc: true }).toColourspace(sixteen ? 'rgb16' : 'srgb');
  const { data, info } = await image
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const values = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  const scale = sixteen ? 65535 : 255;
  return (p) => [0, 1, 2].map((c) => values[p * info.channels + c]! / scale);
}

describe('colour: embedded ICC profiles are converted to sRGB', () => {
  // Tolerances: P3 and ProPhoto match the definition to the level; the Adobe RGB photo, converted
  // by lcms with the perceptual intent its profile asks for, stays within a few levels of it.
  it.each<[string, string, RgbSpace, boolean, { mean: number; p95: number }]>([
    ['Display P3 (PNG)', 'formats/p3.png', displayP3, false, { mean: 0.5, p95: 1 }],
    ['ProPhoto RGB (PNG)', 'formats/prophoto.png', proPhotoRgb, false, { mean: 0.5, p95: 1 }],
    ['Adobe RGB (1998), 16-bit TIFF', 'formats/tifftag-photoshop.tiff', adobeRgb, true, { mean: 4, p95: 12 }],
  ])(
    '%s: pixels match the colour space definition, not the raw numbers',
    async (_name, path, space, sixteen, tolerance) => {
      const { bytes, result } = await standardizeImage(corpus(path), exact);
      const out = await pixelsOf(bytes);
      const stored = await storedRgb(path, sixteen);
      const converted = compare(out, (p) => toSrgb8(space, stored(p)));
      expect(converted.mean).toBeLessThan(tolerance.mean);
      expect(converted.p95).toBeLessThanOrEqual(tolerance.p95);
      // Ignoring the profile would be visibly different.
      const naive = compare(out, (p) => stored(p).map((v) => Math.round(v * 255)));
      expect(naive.max).toBeGreaterThan(converted.p95 + 6);
      expect(naive.mean).toBeGreaterThan(converted.mean * 2);
      expect(result.operations.find((o) => o.name === 'icc-transform')?.params['to']).toBe('sRGB');
      expect(await sharp(bytes).metadata()).toMatchObject({ space: 'srgb', depth: 'uchar' });
    },
  );

  it('CIELAB TIFF: every pixel matches the L*a*b* definition', async () => {
    const { bytes } = await standardizeImage(corpus('formats/cielab-dagams.tiff'), exact);
    const out = await pixelsOf(bytes);
    const { data } = await sharp(corpus('formats/cielab-dagams.tiff'))
      .pipelineColourspace('labs')
      .toColourspace('labs')
      .raw({ depth: 'short' })
      .toBuffer({ resolveWithObject: true });
    const lab = new Int16Array(data.buffer, data.byteOffset, data.length / 2);
    const result = compare(out, (p) =>
      labToSrgb8((lab[p * 3]! / 32767) * 100, lab[p * 3 + 1]! / 256, lab[p * 3 + 2]! / 256),
    );
    expect(result.mean).toBeLessThan(1);
    expect(result.max).toBeLessThanOrEqual(3);
  });

  it('CMYK TIFF with a FOGRA39 profile: 0/100/100/0 comes out as the press red, not cyan', async () => {
    const { bytes } = await standardizeImage(corpus('formats/fogra-0-100-100-0.tif'), exact);
    const out = await pixelsOf(bytes);
    const centre = (out.height / 2) * out.width + out.width / 2;
    const [r, g, b] = [0, 1, 2].map((c) => out.data[centre * 3 + c]!);
    expect(r).toBeGreaterThan(210);
    expect(g).toBeLessThan(40);
    expect(b).toBeLessThan(50);
  });

  it.each([
    ['with its SWOP profile', 'formats/Channel_digital_image_CMYK_color.jpg'],
    ['without a profile', 'formats/Channel_digital_image_CMYK_color_no_profile.jpg'],
  ])('CMYK JPEG %s: not inverted, not washed out', async (_name, path) => {
    const { bytes, result } = await standardizeImage(corpus(path), exact);
    const out = await pixelsOf(bytes);
    const cmyk = await pixelsOf(sharp(corpus(path)).pipelineColourspace('cmyk').toColourspace('cmyk'));
    // The textbook CMYK → RGB formula is no colour management, but it is close in hue and lightness:
    // an inverted image is about 128 off, a managed one stays near it.
    const formula = compare(out, (p) => {
      const [c, m, y, k] = [0, 1, 2, 3].map((i) => cmyk.data[p * 4 + i]! / 255);
      return [c!, m!, y!].map((v) => Math.round(255 * (1 - v) * (1 - k!)));
    });
    expect(formula.mean).toBeLessThan(30);
    const inverted = compare(out, (p) => {
      const [c, m, y, k] = [0, 1, 2, 3].map((i) => cmyk.data[p * 4 + i]! / 255);
      return [c!, m!, y!].map((v) => 255 - Math.round(255 * (1 - v) * (1 - k!)));
    });
    expect(inverted.mean).toBeGreaterThan(80);
    // Washed out = compressed range: the managed image keeps its darks and lights.
    const luma = [...Array(out.width * out.height).keys()]
      .map((p) => out.data[p * 3 + 1]!)
      .sort((a, b) => a - b);
    expect(luma[Math.floor(luma.length * 0.05)]!).toBeLessThan(60);
    expect(luma[Math.floor(luma.length * 0.95)]!).toBeGreaterThan(180);
    expect(result.sourceColorSpace).toBe('cmyk');
  });

  it('CMYK JPEGs with and without the profile come out alike', async () => {
    const [withProfile, without] = await Promise.all([
      standardizeImage(corpus('formats/Channel_digital_image_CMYK_color.jpg'), exact),
      standardizeImage(corpus('formats/Channel_digital_image_CMYK_color_no_profile.jpg'), exact),
    ]);
    expect(meanDifference(await pixelsOf(withProfile.bytes), await pixelsOf(without.bytes))).toBeLessThan(10);
  });

  it('grey JPEG with a Gray Gamma 2.2 profile: neutral sRGB greys that follow the source', async () => {
    const { bytes } = await standardizeImage(corpus('formats/concert.jpg'), exact);
    const out = await pixelsOf(bytes);
    expect(out.channels).toBe(3);
    const grey = await pixelsOf(
      sharp(corpus('formats/concert.jpg'), { ignoreIcc: true }).toColourspace('b-w'),
    );
    const result = compare(out, (p) => [grey.data[p]!, grey.data[p]!, grey.data[p]!]);
    expect(result.mean).toBeLessThan(4);
    for (let p = 0; p < out.width * out.height; p++) {
      expect(Math.abs(out.data[p * 3]! - out.data[p * 3 + 2]!)).toBeLessThanOrEqual(1);
    }
  });
});

describe('colour: 16-bit sources', () => {
  it('16-bit PNG: the Dutch flag keeps its exact red, white and blue in 8-bit sRGB', async () => {
    const { bytes, result } = await standardizeImage(
      corpus('formats/Flag_of_the_Netherlands-16bit.png'),
      exact,
    );
    const out = await pixelsOf(bytes);
    expect(result).toMatchObject({ sourceBitDepth: 16, bitDepth: 8 });
    const at = (row: number) => [...out.data.subarray(row * out.width * 3, row * out.width * 3 + 3)];
    expect([at(50), at(300), at(550)]).toEqual([
      [0xae, 0x1c, 0x28],
      [0xff, 0xff, 0xff],
      [0x21, 0x46, 0x8b],
    ]);
  });

  it('16-bit TIFF is rounded to 8 bits (v / 257 to the nearest level), not truncated', async () => {
    const path = 'formats/tifftag-photoshop.tiff';
    const { bytes, result } = await standardizeImage(corpus(path), exact);
    const out = await pixelsOf(bytes);
    // The same colour conversion kept in 16 bits: the reference the 8-bit output is rounded from.
    const { data } = await sharp(corpus(path))
      .toColourspace('rgb16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const wide = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    let rounded = 0;
    let truncated = 0;
    for (let i = 0; i < wide.length; i++) {
      if (out.data[i] === Math.round(wide[i]! / 257)) rounded++;
      if (out.data[i] === wide[i]! >> 8) truncated++;
    }
    expect(rounded).toBe(wide.length);
    expect(truncated / wide.length).toBeLessThan(0.8);
    expect(result.operations.map((o) => o.name)).toContain('round-to-8-bit');
  });

  it('16-bit grey PNG with alpha: grey sRGB with its alpha rounded, or flattened for JPEG', async () => {
    const path = 'formats/16-bit-grey-alpha.png';
    const png = await pixelsOf((await standardizeImage(corpus(path), exact)).bytes);
    expect(png.channels).toBe(4);
    const { data } = await sharp(corpus(path))
      .toColourspace('grey16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    const wide = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    for (let p = 0; p < png.width * png.height; p++) {
      expect(png.data[p * 4 + 3]).toBe(Math.round(wide[p * 2 + 1]! / 257));
      expect(png.data[p * 4]).toBe(png.data[p * 4 + 2]);
    }
    const jpeg = await sharp((await standardizeImage(corpus(path), spec())).bytes).metadata();
    expect(jpeg).toMatchObject({ format: 'jpeg', channels: 3, space: 'srgb', depth: 'uchar' });
  });

  it('a 16-bit PNG when the spec asks: the 16-bit conversion itself, no rounding', async () => {
    const path = 'formats/tifftag-photoshop.tiff';
    const { bytes, result } = await standardizeImage(corpus(path), { ...exact, bitDepth: 16 });
    expect(result).toMatchObject({ bitDepth: 16 });
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', depth: 'ushort', space: 'rgb16' });
    const out = await sharp(bytes).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    const reference = await sharp(corpus(path)).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    expect(out.equals(reference)).toBe(true);
  });
});
