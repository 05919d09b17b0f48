import { readFile } from 'node:fs/promises';

import { sharp } from '@aperture/imaging';

import { expandBox, type Box } from './boxes';
import { evalDir, evalPhotos } from './eval/eval-set';
import { blockSize, redactPixels, REDACTION_METHODS, type RawPixels } from './redact';

// A real group photo of the shared evaluation set (read in place; skipped where it is absent) and
// the WIDER FACE boxes of its first two faces (82-114 px).
const EVAL = evalDir();
const withPhoto = EVAL ? describe.each(REDACTION_METHODS) : describe.skip.each(REDACTION_METHODS);
let FACES: Box[] = [];
let photo: RawPixels;
beforeAll(async () => {
  if (!EVAL) return;
  const group = evalPhotos(EVAL, 'faces').find((p) => p.name === '12_Group_Group_12_Group_Group_12_728.jpg')!;
  FACES = group.boxes.slice(0, 2).map(({ x, y, width, height }) => ({ x, y, width, height }));
  const bytes = await readFile(group.path);
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  photo = { data, width: info.width, height: info.height, channels: info.channels };
});

/** Luma of the region, as a plane. */
function luma(image: RawPixels, data: Uint8Array, r: Box): Float64Array {
  const out = new Float64Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const i = ((r.y + y) * image.width + r.x + x) * image.channels;
      out[y * r.width + x] = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
    }
  }
  return out;
}

/** The plane minus its 5 x 5 local mean: the detail (edges, features) a face is recognised by. */
function detail(plane: Float64Array, w: number, h: number): Float64Array {
  const out = new Float64Array(plane.length);
  for (let y = 2; y < h - 2; y++) {
    for (let x = 2; x < w - 2; x++) {
      let sum = 0;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) sum += plane[(y + dy) * w + x + dx]!;
      out[y * w + x] = plane[y * w + x]! - sum / 25;
    }
  }
  return out;
}

const energy = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0) / a.length;
function correlation(a: Float64Array, b: Float64Array): number {
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

withPhoto('redactPixels (%s) on a real photo', (method) => {
  it('destroys the detail of every face box and leaves every byte outside the margins as it was', () => {
    const before = Uint8Array.from(photo.data);
    const { data, regions } = redactPixels(photo, FACES, { method, marginRatio: 0.25 });
    // The input is not touched (Buffer.equals: Jest's deep equality is slow on 10 MB).
    expect(Buffer.from(photo.data).equals(Buffer.from(before))).toBe(true);
    expect(regions).toEqual(FACES.map((f) => expandBox(f, 0.25, photo.width, photo.height)));

    const inside = new Uint8Array(photo.width * photo.height);
    for (const r of regions) {
      for (let y = r.y; y < r.y + r.height; y++)
        inside.fill(1, y * photo.width + r.x, y * photo.width + r.x + r.width);
    }
    let changedOutside = 0;
    for (let p = 0; p < inside.length; p++) {
      if (inside[p]) continue;
      for (let c = 0; c < photo.channels; c++)
        if (data[p * 4 + c] !== photo.data[p * 4 + c]) changedOutside++;
    }
    expect(changedOutside).toBe(0);

    for (const face of FACES) {
      const original = detail(luma(photo, photo.data, face), face.width, face.height);
      const redacted = detail(luma(photo, data, face), face.width, face.height);
      // The face's fine detail is gone (under 3 % of its energy) and what is left does not follow it.
      expect(energy(redacted) / energy(original)).toBeLessThan(0.03);
      expect(Math.abs(correlation(original, redacted))).toBeLessThan(0.2);
      // Block averages: at most (size / block)^2-ish distinct values survive, against thousands.
      const values = new Set(luma(photo, data, face).map(Math.round));
      expect(values.size).toBeLessThan(method === 'fill' ? 2 : 400);
    }
    // Alpha is never changed.
    for (let p = 3; p < data.length; p += 4)
      if (data[p] !== photo.data[p]) throw new Error(`alpha changed at ${p}`);
  });
});

describe('redactPixels', () => {
  const grey: RawPixels = {
    data: new Uint8Array(64 * 48).map((_, i) => (i * 37) % 251),
    width: 64,
    height: 48,
    channels: 1,
  };

  it('redacts grey images and clips margins at the image border', () => {
    const { data, regions } = redactPixels(grey, [{ x: 50, y: 40, width: 20, height: 20 }], {
      method: 'fill',
      fill: [9, 9, 9],
    });
    expect(regions).toEqual([{ x: 45, y: 35, width: 19, height: 13 }]);
    expect(data[47 * 64 + 63]).toBe(9);
    expect(data[0]).toBe(grey.data[0]);
  });

  it('scales the block with the face', () => {
    expect(blockSize({ x: 0, y: 0, width: 24, height: 30 }, 'pixelate')).toBe(4);
    expect(blockSize({ x: 0, y: 0, width: 180, height: 240 }, 'pixelate')).toBe(30);
    expect(blockSize({ x: 0, y: 0, width: 180, height: 240 }, 'blur')).toBe(23);
  });

  it('refuses a bad method, margin or buffer', () => {
    expect(() => redactPixels(grey, [], { method: 'smudge' as never })).toThrow(/method/);
    expect(() => redactPixels(grey, [], { marginRatio: -1 })).toThrow(/marginRatio/);
    expect(() => redactPixels({ ...grey, channels: 3 }, [])).toThrow(/not 64x48x3/);
  });
});
