import * as fs from 'node:fs';
import * as path from 'node:path';
import { openImage } from '@aperture/imaging';
import { corpusPath } from '@aperture/testing';
import { cameraJpegs, PHONE_PHOTOS, withDistinctBytes } from './photos';

const pixels = async (bytes: Buffer) => (await openImage(bytes)).pipeline().raw().toBuffer();

describe('withDistinctBytes', () => {
  it('gives a HEIC new bytes (a free box at its end) with the same pixels', async () => {
    const heic = fs.readFileSync(path.join(corpusPath(), 'cameras/heic/samplefilehub.heif'));
    const a = withDistinctBytes(heic, 'bench 1 0');
    const b = withDistinctBytes(heic, 'bench 1 1');
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(0, heic.length).equals(heic)).toBe(true);
    expect(a.readUInt32BE(heic.length)).toBe(8 + 'bench 1 0'.length);
    expect(a.toString('latin1', heic.length + 4, heic.length + 8)).toBe('free');
    expect((await pixels(a)).equals(await pixels(heic))).toBe(true);
  });

  it('gives a JPEG a comment segment', () => {
    const jpeg = fs.readFileSync(path.join(corpusPath(), 'cameras/jpg/exif-org/kodak-dc240.jpg'));
    const marked = withDistinctBytes(jpeg, 'bench 1 2');
    expect(marked.readUInt16BE(2)).toBe(0xfffe);
    expect(marked.length).toBe(jpeg.length + 4 + 'bench 1 2'.length);
  });
});

describe('the benchmark mix', () => {
  it('lists every camera JPEG of the corpus, and phone photos that exist', () => {
    const jpegs = cameraJpegs(corpusPath());
    expect(jpegs.length).toBeGreaterThan(50);
    expect(jpegs.every((file) => /^cameras\/jpg\/.*\.jpe?g$/i.test(file))).toBe(true);
    for (const file of PHONE_PHOTOS) expect(fs.existsSync(path.join(corpusPath(), file))).toBe(true);
  });
});
