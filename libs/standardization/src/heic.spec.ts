import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharp } from '@aperture/imaging';
import { corpusPath } from '@aperture/testing';
import { standardizeImage } from './standardize';
import { displayP3, toSrgb8 } from './testing/colour';
import { corpus, meanDifference, pixelsOf, spec } from './testing/helpers';

// HEIC/HEIF through @aperture/imaging's openImage (libheif). The reference for each file is
// libheif's own command-line decoder, heif-convert (Debian libheif-examples, which CI installs):
// its PNG holds the upright pixels (HEIF's irot/imir applied) as stored, with the ICC profile
// beside them; the colour is then converted here with the Display P3 definition, not with lcms.
function heifConvert(path: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'aperture-heic-ref-'));
  try {
    execFileSync('heif-convert', ['--quiet', corpusPath(path), join(dir, 'out.png')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'out.png'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const small = spec({ format: 'png', maxLongSide: 256, thumbnailSize: 0 });

describe('HEIC', () => {
  it('iPhone HEIC rotated by HEIF irot (and tagged Rotate 90 CW in EXIF) comes out upright, rotated once', async () => {
    const path = 'cameras/heic/mobile/iphone_13_pro_max.HEIC';
    const { bytes, result } = await standardizeImage(corpus(path), small);
    expect([result.width, result.height]).toEqual([192, 256]); // portrait: stored 4032 × 3024
    expect(result).toMatchObject({ sourceFormat: 'heic', appliedOrientation: 1 });
    expect(result.operations[0]).toMatchObject({ name: 'decode', params: { format: 'heic' } });
    // libheif's upright pixels, stored values (P3), resized like the derivative, converted by definition.
    const reference = await pixelsOf(
      sharp(heifConvert(path), { ignoreIcc: true }).resize(192, 256, { fit: 'fill', kernel: 'lanczos3' }),
    );
    const out = await pixelsOf(bytes);
    const expected = {
      ...reference,
      data: Buffer.from(
        [...Array(reference.width * reference.height).keys()].flatMap((p) =>
          toSrgb8(
            displayP3,
            [0, 1, 2].map((c) => reference.data[p * reference.channels + c]! / 255),
          ),
        ),
      ),
      channels: 3,
    };
    expect(meanDifference(out, expected)).toBeLessThan(2);
    // Rotated twice (irot, then the EXIF tag again) would be another picture altogether.
    const twice = await pixelsOf(
      sharp(await sharp(bytes).rotate(90).toBuffer()).resize(192, 256, { fit: 'fill' }),
    );
    expect(meanDifference(twice, out)).toBeGreaterThan(15);
  }, 120_000);

  it('Display P3 HEIC: converted to sRGB through its profile, not passed through as is', async () => {
    const path = 'cameras/heic/IMG_5195.HEIC';
    const { bytes, result } = await standardizeImage(corpus(path), small);
    expect(result).toMatchObject({ sourceIccDescription: 'Display P3', hadIccProfile: true });
    const out = await pixelsOf(bytes);
    const stored = await pixelsOf(
      sharp(heifConvert(path), { ignoreIcc: true }).resize(out.width, out.height, {
        fit: 'fill',
        kernel: 'lanczos3',
      }),
    );
    let converted = 0;
    let naive = 0;
    for (let p = 0; p < out.width * out.height; p++) {
      const want = toSrgb8(
        displayP3,
        [0, 1, 2].map((c) => stored.data[p * 3 + c]! / 255),
      );
      for (let c = 0; c < 3; c++) {
        converted += Math.abs(out.data[p * 3 + c]! - want[c]!);
        naive += Math.abs(out.data[p * 3 + c]! - stored.data[p * 3 + c]!);
      }
    }
    const samples = out.width * out.height * 3;
    expect(converted / samples).toBeLessThan(2);
    expect(naive / samples).toBeGreaterThan(converted / samples + 1);
    expect(await sharp(bytes).metadata()).toMatchObject({ space: 'srgb', depth: 'uchar' });
  }, 120_000);

  it('HEIF of another phone: no metadata reaches the derivative, and the same bytes twice', async () => {
    const source = corpus('cameras/heic/samplefilehub.heif');
    const [a, b] = [await standardizeImage(source, spec()), await standardizeImage(source, spec())];
    expect(a.bytes.equals(b.bytes)).toBe(true);
    const out = await sharp(a.bytes).metadata();
    expect([out.exif, out.icc, out.iptc]).toEqual([undefined, undefined, undefined]);
  }, 120_000);
});
