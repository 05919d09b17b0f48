import { corpusPath } from '@aperture/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageDecodeError } from '../errors';
import { readImageHeader } from '../header';
import { openImage, openImageWith, type DecodedImage } from '../open';
import { sharp } from '../sharp';
import { heicDecoderName, type HeicDecoderName } from './decoder';
import { heifConvertOnPath } from './native';

// The two HEIC decoders on the real phone files of the corpus, plus files made here with heif-enc
// (same Debian package as heif-convert) for what the corpus lacks: alpha, several top-level images.
// The native decoder needs heif-convert: `apt-get install libheif-examples` (.ci/run does it).

const DECODERS: HeicDecoderName[] = ['native', 'wasm'];
const heicDir = corpusPath('cameras', 'heic');
const HEIC_FILES = readdirSync(heicDir, { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.hei[cf]$/i.test(file))
  .sort();

interface Decoded {
  image: DecodedImage;
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

async function decodeWith(decoder: HeicDecoderName, bytes: Buffer, maxPixels?: number): Promise<Decoded> {
  const image = await openImageWith(bytes, { maxPixels }, () => decoder);
  expect(image.header.format).toBe('heic');
  const { data, info } = await image.pipeline().raw().toBuffer({ resolveWithObject: true });
  return { image, data, width: info.width, height: info.height, channels: info.channels };
}

/** Mean absolute difference of two images of the same shape, in 8-bit levels. */
function meanAbsoluteDifference(a: Pixels, b: Pixels): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let sum = 0;
  // No Math.abs: a global looked up in Jest's sandbox costs ~400 ns a call, 15 s for 12 MP.
  for (let i = 0; i < a.data.length; i++) {
    const difference = a.data[i]! - b.data[i]!;
    sum += difference < 0 ? -difference : difference;
  }
  return sum / a.data.length;
}

type Pixels = Omit<Decoded, 'image'>;

async function transformed(image: Pixels, transform: 'rotate90' | 'flip' | 'flop'): Promise<Pixels> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (transform === 'rotate90') pipeline = pipeline.rotate(90);
  if (transform === 'flip') pipeline = pipeline.flip();
  if (transform === 'flop') pipeline = pipeline.flop();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** A copy of a HEIF file with one byte-sized edit inside an existing box (no offsets move). */
function patched(bytes: Buffer, box: string, edit: (copy: Buffer, at: number) => void): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(box, 0, 'latin1');
  expect(at).toBeGreaterThan(0);
  edit(copy, at);
  return copy;
}

beforeAll(() => {
  if (!heifConvertOnPath()) {
    throw new Error(
      'heif-convert is not on PATH: apt-get install libheif-examples (scripts/doctor checks it)',
    );
  }
});

describe('the HEIC corpus, decoded by both decoders', () => {
  // Each file decoded once per decoder, shared by the checks below.
  const decoded = new Map<string, Record<HeicDecoderName, Decoded>>();
  async function decodedBoth(file: string): Promise<Record<HeicDecoderName, Decoded>> {
    let both = decoded.get(file);
    if (!both) {
      const bytes = readFileSync(join(heicDir, file));
      both = { native: await decodeWith('native', bytes), wasm: await decodeWith('wasm', bytes) };
      decoded.set(file, both);
    }
    return both;
  }

  it('has the phone files', () => {
    expect(HEIC_FILES).toEqual(expect.arrayContaining(['IMG_5195.HEIC', 'mobile/iphone_13_pro_max.HEIC']));
  });

  it.each(HEIC_FILES)(
    '%s: the displayed size, plausible pixels, the same from both',
    async (file) => {
      const header = await readImageHeader(readFileSync(join(heicDir, file)));
      const both = await decodedBoth(file);
      for (const decoder of DECODERS) {
        const image = both[decoder];
        expect([image.width, image.height, image.channels]).toEqual([header.width, header.height, 3]);
        // A photo, not a blank or garbage frame: mid-range mean, real variation between pixels.
        const stats = await sharp(image.data, {
          raw: { width: image.width, height: image.height, channels: 3 },
        }).stats();
        for (const channel of stats.channels) {
          expect(channel.mean).toBeGreaterThan(10);
          expect(channel.mean).toBeLessThan(245);
          expect(channel.stdev).toBeGreaterThan(10);
        }
      }
      // libheif 1.15 (native) and 1.23 (WASM) differ only in rounding and chroma upsampling.
      expect(meanAbsoluteDifference(both.native, both.wasm)).toBeLessThan(1);
    },
    120_000,
  );

  it.each(DECODERS)(
    '%s: applies irot: the iPhone photo is its stored pixels turned 90° clockwise (its EXIF orientation 6)',
    async (decoder) => {
      const file = 'mobile/iphone_13_pro_max.HEIC';
      const upright = (await decodedBoth(file))[decoder];
      // The same file with its irot angle set to 0: the pixels as the sensor stored them.
      const stored = patched(readFileSync(join(heicDir, file)), 'irot', (copy, at) => (copy[at + 4] = 0));
      const asStored = await decodeWith(decoder, stored);
      expect([asStored.width, asStored.height]).toEqual([upright.height, upright.width]);
      expect(meanAbsoluteDifference(await transformed(asStored, 'rotate90'), upright)).toBeLessThan(0.5);
    },
    120_000,
  );

  it.each(DECODERS)(
    '%s: applies imir: axis 0 mirrors top-bottom, axis 1 left-right',
    async (decoder) => {
      const file = 'IMG_5195.HEIC';
      const original = (await decodedBoth(file))[decoder];
      // Its irot (angle 0, a no-op) turned into an imir box of the same size.
      const mirrored = (axis: number): Buffer =>
        patched(readFileSync(join(heicDir, file)), 'irot', (copy, at) => {
          copy.write('imir', at, 'latin1');
          copy[at + 4] = axis;
        });
      const axis0 = await decodeWith(decoder, mirrored(0));
      expect(meanAbsoluteDifference(axis0, await transformed(original, 'flip'))).toBeLessThan(0.5);
      const axis1 = await decodeWith(decoder, mirrored(1));
      expect(meanAbsoluteDifference(axis1, await transformed(original, 'flop'))).toBeLessThan(0.5);
    },
    120_000,
  );

  it('keeps the ICC profile of the iPhone photo (Display P3) in both, and no EXIF orientation', async () => {
    const file = 'mobile/iphone_13_pro_max.HEIC';
    const profile = (await sharp(readFileSync(join(heicDir, file))).metadata()).icc;
    expect(profile?.length).toBeGreaterThan(0);
    for (const decoder of DECODERS) {
      const metadata = await (await decodedBoth(file))[decoder].image.pipeline().metadata();
      expect(metadata.icc).toEqual(profile);
      // An orientation tag would make a reader rotate the upright pixels a second time.
      expect(metadata.orientation).toBeUndefined();
    }
  }, 120_000);
});

describe('HEIC files made with heif-enc', () => {
  let dir: string;
  let withAlpha: Buffer;
  let twoImages: Buffer;
  let tenBit: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imaging-heic-spec-'));
    const translucentGreen = { r: 0, g: 200, b: 0, alpha: 0.5 };
    await sharp({ create: { width: 40, height: 30, channels: 4, background: translucentGreen } })
      .png()
      .toFile(join(dir, 'alpha.png'));
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c00000' } })
      .png()
      .toFile(join(dir, 'red.png'));
    await sharp({ create: { width: 32, height: 80, channels: 3, background: '#0000c0' } })
      .png()
      .toFile(join(dir, 'blue.png'));
    execFileSync('heif-enc', [join(dir, 'alpha.png'), '-o', join(dir, 'alpha.heic')]);
    // Two top-level images; heif-enc makes the first (red, item 2) primary, and the pitm box is
    // then pointed at the second (blue, item 4) so that the primary is not the first image.
    execFileSync('heif-enc', [join(dir, 'red.png'), join(dir, 'blue.png'), '-o', join(dir, 'two.heic')]);
    // heif-enc codes a 16-bit PNG as 10-bit HEVC.
    await sharp({ create: { width: 48, height: 32, channels: 3, background: '#4080c0' } })
      .toColourspace('rgb16')
      .png()
      .toFile(join(dir, 'deep.png'));
    execFileSync('heif-enc', [join(dir, 'deep.png'), '-o', join(dir, 'deep.heic')]);
    withAlpha = readFileSync(join(dir, 'alpha.heic'));
    tenBit = readFileSync(join(dir, 'deep.heic'));
    twoImages = patched(readFileSync(join(dir, 'two.heic')), 'pitm', (copy, at) => {
      expect(copy.readUInt16BE(at + 8)).toBe(2);
      copy.writeUInt16BE(4, at + 8);
    });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(DECODERS)('%s: keeps the alpha channel', async (decoder) => {
    const image = await decodeWith(decoder, withAlpha);
    expect([image.width, image.height, image.channels]).toEqual([40, 30, 4]);
    expect([...image.data.subarray(0, 4)]).toEqual([0, 200, 0, 128]);
  });

  it('10-bit: native keeps 16 bits per sample, WASM reduces to 8, the colour is the same', async () => {
    const native = await openImageWith(tenBit, {}, () => 'native');
    const wasm = await openImageWith(tenBit, {}, () => 'wasm');
    expect(native.header).toMatchObject({ bitsPerSample: 10, colourSpace: 'rgb16' });
    expect((await native.pipeline().metadata()).depth).toBe('ushort');
    expect((await wasm.pipeline().metadata()).depth).toBe('uchar');
    for (const image of [native, wasm]) {
      const [red, green, blue] = (await image.pipeline().raw().toBuffer()).subarray(0, 3);
      // #4080c0 through lossy HEVC: within a few levels.
      expect(Math.abs(red! - 0x40) + Math.abs(green! - 0x80) + Math.abs(blue! - 0xc0)).toBeLessThan(8);
    }
  });

  it.each(DECODERS)('%s: decodes the primary image, not the first', async (decoder) => {
    const image = await decodeWith(decoder, twoImages);
    expect([image.width, image.height]).toEqual([32, 80]);
    expect([...image.data.subarray(0, 3)]).toEqual([0, 0, 192]);
  });

  it('native: refuses a file whose other top-level image is over the limit (heif-convert decodes all)', async () => {
    // The primary is 32×80 = 2560 pixels, the other image 64×48 = 3072.
    await expect(decodeWith('native', twoImages, 3000)).rejects.toMatchObject({ code: 'too_large' });
    await expect(decodeWith('wasm', twoImages, 3000)).resolves.toMatchObject({ width: 32, height: 80 });
  });

  it.each(DECODERS)(
    '%s: a truncated HEIC is corrupt',
    async (decoder) => {
      // The header (meta box) is whole; the coded data stops halfway.
      const bytes = readFileSync(join(heicDir, 'IMG_5195.HEIC'));
      const error: unknown = await decodeWith(decoder, bytes.subarray(0, 400_000)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect(error).toMatchObject({
        code: 'corrupt',
        message: expect.stringMatching(/^the HEIC image does not decode: /),
      });
    },
    60_000,
  );
});

describe('choosing the HEIC decoder', () => {
  const saved = { decoder: process.env['APERTURE_HEIC_DECODER'], path: process.env['PATH'] };
  afterEach(() => {
    process.env['PATH'] = saved.path;
    if (saved.decoder === undefined) delete process.env['APERTURE_HEIC_DECODER'];
    else process.env['APERTURE_HEIC_DECODER'] = saved.decoder;
  });

  it('uses heif-convert when it is on PATH, else WASM', () => {
    delete process.env['APERTURE_HEIC_DECODER'];
    expect(heicDecoderName()).toBe('native');
    process.env['PATH'] = '/nonexistent';
    expect(heicDecoderName()).toBe('wasm');
  });

  it('follows APERTURE_HEIC_DECODER, and refuses a value it does not know', () => {
    process.env['APERTURE_HEIC_DECODER'] = 'wasm';
    expect(heicDecoderName()).toBe('wasm');
    process.env['PATH'] = '/nonexistent';
    process.env['APERTURE_HEIC_DECODER'] = 'native';
    expect(heicDecoderName()).toBe('native');
    process.env['APERTURE_HEIC_DECODER'] = 'libde265';
    expect(() => heicDecoderName()).toThrow(
      'APERTURE_HEIC_DECODER must be "native" or "wasm", not "libde265"',
    );
  });

  it('leaves AVIF to sharp: no HEIC decoder is chosen for pitm.avif', async () => {
    // A decoder name that fails if consulted: the AVIF must not need it.
    process.env['APERTURE_HEIC_DECODER'] = 'none';
    const image = await openImage(readFileSync(corpusPath('formats', 'pitm.avif')));
    expect(image.header).toMatchObject({ format: 'avif', width: 4096, height: 800 });
    const { info } = await image.pipeline().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([4096, 800]);
  }, 60_000);
});
