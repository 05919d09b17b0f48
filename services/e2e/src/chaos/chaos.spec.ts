import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusPath } from '@aperture/testing';
import sharp from 'sharp';
import { withJpegComment } from '../photos';
import { mulberry32 } from './chaos';

describe('withJpegComment', () => {
  it('gives new bytes with the same pixels', async () => {
    const jpeg = fs.readFileSync(path.join(corpusPath(), 'cameras/jpg/exif-org/kodak-dc240.jpg'));
    const a = withJpegComment(jpeg, 'chaos 1 0 0');
    const b = withJpegComment(jpeg, 'chaos 1 0 1');
    expect(a.equals(b)).toBe(false);
    expect(a.length).toBe(jpeg.length + 4 + 'chaos 1 0 0'.length);
    const pixels = async (bytes: Buffer) => sharp(bytes).raw().toBuffer();
    expect((await pixels(a)).equals(await pixels(jpeg))).toBe(true);
  });
});

describe('mulberry32', () => {
  it('repeats for a seed and differs between seeds', () => {
    const first = mulberry32(42);
    const again = mulberry32(42);
    const other = mulberry32(43);
    const run = (next: () => number) => Array.from({ length: 5 }, next);
    const values = run(first);
    expect(run(again)).toEqual(values);
    expect(run(other)).not.toEqual(values);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });
});
