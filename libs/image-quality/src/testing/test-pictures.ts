import type { GreyRaster } from '../duplicates/grey-raster';

// Synthetic pictures for the unit tests: smooth random scenes (Gaussian spots on a gradient) from
// a seed, and exact pixel edits of them. No decoder involved, so every edit is known exactly.

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function scene(seed: number, width = 384, height = 256): GreyRaster {
  const next = random(seed);
  const spots = Array.from({ length: 24 }, () => ({
    x: next() * width,
    y: next() * height,
    radius: (0.03 + next() * 0.12) * Math.max(width, height),
    amplitude: (next() - 0.5) * 160,
  }));
  const slope = { x: (next() - 0.5) * 80, y: (next() - 0.5) * 80 };
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = 128 + (slope.x * x) / width + (slope.y * y) / height;
      for (const spot of spots) {
        const d2 = (x - spot.x) ** 2 + (y - spot.y) ** 2;
        value += spot.amplitude * Math.exp(-d2 / (2 * spot.radius * spot.radius));
      }
      data[y * width + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return { width, height, data };
}

export function mapPixels(raster: GreyRaster, f: (value: number) => number): GreyRaster {
  return { ...raster, data: raster.data.map((v) => Math.max(0, Math.min(255, Math.round(f(v))))) };
}

/** The pixel at (x, y) of the result comes from source(x, y) of the input. */
function remap(
  raster: GreyRaster,
  width: number,
  height: number,
  source: (x: number, y: number) => [number, number],
): GreyRaster {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = source(x, y);
      data[y * width + x] = raster.data[sy * raster.width + sx]!;
    }
  }
  return { width, height, data };
}

export const mirrored = (r: GreyRaster): GreyRaster =>
  remap(r, r.width, r.height, (x, y) => [r.width - 1 - x, y]);
/** Turned 90° clockwise. */
export const turned = (r: GreyRaster): GreyRaster =>
  remap(r, r.height, r.width, (x, y) => [y, r.height - 1 - x]);
export const cropped = (
  r: GreyRaster,
  left: number,
  top: number,
  width: number,
  height: number,
): GreyRaster => remap(r, width, height, (x, y) => [x + left, y + top]);

/** The raster inside a border of `size` pixels of one grey level on every side. */
export function bordered(r: GreyRaster, size: number, level: number): GreyRaster {
  const width = r.width + 2 * size;
  const height = r.height + 2 * size;
  const data = new Uint8Array(width * height).fill(level);
  for (let y = 0; y < r.height; y++)
    data.set(r.data.subarray(y * r.width, (y + 1) * r.width), (y + size) * width + size);
  return { width, height, data };
}
