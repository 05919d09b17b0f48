import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { assessImage } from './assess';

// Real files, read in place from the shared corpus (never copied into the repository).
const corpus = (path: string) => readFileSync(corpusPath(path));
const limits = { minWidth: 64, minHeight: 64 };
const codes = async (path: string) => (await assessImage(corpus(path), limits)).reasons.map((r) => r.code);

describe('assessImage', () => {
  it('accepts a normal camera JPEG and measures it', async () => {
    expect(await assessImage(corpus('cameras/jpg/exif-org/canon-ixus.jpg'), limits)).toEqual({
      accepted: true,
      result: { format: 'jpeg', width: 640, height: 480, frames: 1 },
      reasons: [],
    });
  });

  it('reports dimensions as displayed, EXIF orientation applied', async () => {
    const { result } = await assessImage(corpus('cameras/jpg/orientation/portrait_6.jpg'), limits);
    expect(result).toMatchObject({ width: 450, height: 600 });
  });

  it('counts the frames of an animated image', async () => {
    const assessment = await assessImage(corpus('formats/animated-loop-3.gif'), limits);
    expect(assessment).toMatchObject({ accepted: true, result: { format: 'gif', frames: 10 } });
  });

  it.each([
    'formats/truncated.jpg',
    'formats/truncated.png',
    'formats/corrupt-header.jpg',
    'cameras/jpg/corrupted.jpg',
  ])('rejects %s as corrupt', async (path) => {
    expect(await codes(path)).toEqual(['corrupt']);
  });

  it('rejects bytes that are no image at all as corrupt', async () => {
    const assessment = await assessImage(Buffer.from('this is not an image, just some text'), limits);
    expect(assessment.reasons.map((r) => r.code)).toEqual(['corrupt']);
  });

  it('rejects an image below the project minimum as too_small', async () => {
    expect(await codes('formats/p3.png')).toEqual(['too_small']);
    const larger = await assessImage(corpus('formats/swiss.png'), { minWidth: 100, minHeight: 10 });
    expect(larger).toMatchObject({ accepted: false, result: { width: 68, height: 68 } });
  });

  it('rejects an image whose header claims more than 100 MP as too_large, without decoding it', async () => {
    expect(await codes('formats/giant-image.jpg')).toEqual(['too_large']);
    expect(await codes('formats/65536-uint32-limit.png')).toEqual(['too_large']);
  });

  it('rejects formats this build cannot decode as unsupported_format (HEVC HEIC, JPEG 2000, SVG)', async () => {
    expect(await codes('cameras/heic/IMG_5195.HEIC')).toEqual(['unsupported_format']);
    expect(await codes('formats/relax.jp2')).toEqual(['unsupported_format']);
    expect(await codes('formats/check.svg')).toEqual(['unsupported_format']);
  });

  it('accepts AVIF, WebP and TIFF', async () => {
    expect((await assessImage(corpus('formats/pitm.avif'), limits)).result?.format).toBe('avif');
    expect((await assessImage(corpus('formats/4.webp'), limits)).accepted).toBe(true);
    expect((await assessImage(corpus('cameras/tiff/BSG1.tiff'), limits)).accepted).toBe(true);
  });
});
