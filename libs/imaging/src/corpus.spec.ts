import { corpusPath } from '@aperture/testing';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { asDecodeError, ImageDecodeError, type DecodeRejectionCode } from './errors';
import { readImageHeader, type ImageFormat, type ImageHeader } from './header';
import { openImage } from './open';

// Every file of the shared corpus, decoded as a stage does it: openImage, then the first frame's
// pixels through pipeline(). Each must end in a header and pixels, or in an ImageDecodeError with
// the code below; any other outcome (another error, a wrong code) fails. The HEIC files take the
// same path in heic/heic.spec.ts, once with each HEIC decoder, so they are not decoded again here.

const root = corpusPath();
const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((file) => statSync(join(root, file)).isFile() && !file.endsWith('README.md'))
  .sort();
const nonHeicFiles = files.filter((file) => !file.startsWith('cameras/heic/'));

const REFUSED: Record<string, DecodeRejectionCode> = {
  'formats/relax.jp2': 'unsupported_format',
  'formats/check.svg': 'unsupported_format',
  'formats/corrupt-header.jpg': 'corrupt',
  'formats/truncated.jpg': 'corrupt',
  'formats/truncated.png': 'corrupt',
  'cameras/jpg/corrupted.jpg': 'corrupt',
  'formats/giant-image.jpg': 'too_large',
  'formats/65536-uint32-limit.png': 'too_large',
};

/** Animated files and their frame count; every other file that decodes has one frame. */
const ANIMATED: Record<string, number> = {
  'formats/animated-loop-3.gif': 10,
  'formats/animated-loop-3.webp': 10,
  'formats/big-height.webp': 97,
};

const FORMAT_OF_EXTENSION: Record<string, ImageFormat> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
  '.gif': 'gif',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.avif': 'avif',
  '.heic': 'heic',
  '.heif': 'heic',
};

type Outcome =
  | { decoded: true; header: ImageHeader; width: number; height: number }
  | { decoded: false; code: DecodeRejectionCode; message: string };

async function decode(file: string): Promise<Outcome> {
  try {
    const image = await openImage(readFileSync(join(root, file)));
    try {
      const { info } = await image.pipeline().raw().toBuffer({ resolveWithObject: true });
      return { decoded: true, header: image.header, width: info.width, height: info.height };
    } catch (error) {
      // Pixel errors come from sharp; asDecodeError is how a stage names them.
      const { code, message } = asDecodeError(error);
      return { decoded: false, code, message };
    }
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
    return { decoded: false, code: error.code, message: error.message };
  }
}

describe('every corpus file gets a definite answer', () => {
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const refused of Object.keys({ ...REFUSED, ...ANIMATED })) expect(files).toContain(refused);
    // What heic.spec.ts decodes instead: every file under cameras/heic/.
    for (const file of files.filter((name) => !nonHeicFiles.includes(name)))
      expect(file).toMatch(/\.hei[cf]$/i);
  });

  it.each(nonHeicFiles)(
    '%s',
    async (file) => {
      const outcome = await decode(file);
      const refusal = REFUSED[file];
      if (refusal) {
        expect(outcome).toMatchObject({ decoded: false, code: refusal });
        return;
      }
      if (!outcome.decoded) throw new Error(`${file} was refused: ${outcome.code}: ${outcome.message}`);
      const { header } = outcome;
      expect(header.format).toBe(FORMAT_OF_EXTENSION[extname(file).toLowerCase()]);
      expect(header.frames).toBe(ANIMATED[file] ?? 1);
      // The pixels come out as the header says they are displayed: upright.
      expect([outcome.width, outcome.height]).toEqual([header.width, header.height]);
    },
    60_000,
  );
});

describe('what the headers say', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'applies EXIF orientation %i to the displayed size',
    async (orientation) => {
      for (const [shape, size] of [
        ['landscape', [600, 450]],
        ['portrait', [450, 600]],
      ] as const) {
        const outcome = await decode(`cameras/jpg/orientation/${shape}_${orientation}.jpg`);
        expect(outcome).toMatchObject({
          decoded: true,
          header: { orientation, width: size[0], height: size[1] },
        });
      }
    },
  );

  it.each([
    ['formats/Channel_digital_image_CMYK_color.jpg', { colourSpace: 'cmyk', hasIccProfile: true }],
    ['formats/cielab-dagams.tiff', { colourSpace: 'labs', bitsPerSample: 16 }],
    ['formats/Flag_of_the_Netherlands-16bit.png', { colourSpace: 'rgb16', bitsPerSample: 16 }],
    ['formats/16-bit-grey-alpha.png', { colourSpace: 'grey16', bitsPerSample: 16, hasAlpha: true }],
    ['formats/with-alpha.png', { hasAlpha: true, bitsPerSample: 8 }],
    ['cameras/jpg/Canon_40D.jpg', { format: 'jpeg', width: 100, height: 68, bitsPerSample: 8 }],
    ['formats/pitm.avif', { format: 'avif', width: 4096, height: 800, frames: 1 }],
    [
      'cameras/heic/mobile/iphone_13_pro_max.HEIC',
      { format: 'heic', width: 3024, height: 4032, hasIccProfile: true },
    ],
  ])('%s', async (file, expected) => {
    await expect(readImageHeader(readFileSync(join(root, file)))).resolves.toMatchObject(expected);
  });
});
