// A compact classical descriptor of the background: colour layout (4 x 4 cells of mean luma and
// chroma) and edge layout (4 orientations in each quadrant), 64 bytes; its scene cluster (a hash of
// the descriptor by fixed random hyperplanes, so that every service and every batch agrees on the
// clusters without a training step); and the camera tilt read from long straight edges. Pure
// functions.
import { gradients, lumaOf, type SmallImage } from './pixels';

export const SCENE_DIMENSIONS = 64;
/** Bits of the scene cluster key: at most 2^SCENE_KEY_BITS clusters (6: with 8, the 52 eval photos fell in 27 clusters, too fine for "scenes"). */
export const SCENE_KEY_BITS = 6;

/** 48 colour values (4 x 4 cells x Y, Cb, Cr) then 16 edge values (2 x 2 quadrants x 4 orientations), each 0..255. */
export function sceneDescriptor(image: SmallImage): Uint8Array {
  const { data, width, height } = image;
  const out = new Uint8Array(SCENE_DIMENSIONS);
  const sums = new Float64Array(48);
  const counts = new Float64Array(16);
  for (let y = 0; y < height; y++) {
    const cy = Math.min(3, Math.floor((y * 4) / height));
    for (let x = 0; x < width; x++) {
      const cell = cy * 4 + Math.min(3, Math.floor((x * 4) / width));
      const p = (y * width + x) * 3;
      const r = data[p]!;
      const g = data[p + 1]!;
      const b = data[p + 2]!;
      sums[cell * 3] = sums[cell * 3]! + 0.299 * r + 0.587 * g + 0.114 * b;
      sums[cell * 3 + 1] = sums[cell * 3 + 1]! + 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
      sums[cell * 3 + 2] = sums[cell * 3 + 2]! + 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
      counts[cell] = counts[cell]! + 1;
    }
  }
  for (let i = 0; i < 48; i++) out[i] = clampByte(sums[i]! / Math.max(1, counts[Math.floor(i / 3)]!));
  // Edge layout: the share of each quadrant's gradient energy in 4 orientation bins (0°, 45°, 90°, 135°).
  const { magnitude, direction } = gradients(lumaOf(image), width, height);
  const energy = new Float64Array(16);
  for (let y = 1; y < height - 1; y++) {
    const qy = y * 2 < height ? 0 : 1;
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const m = magnitude[i]!;
      if (m < 20) continue;
      let angle = direction[i]! % Math.PI;
      if (angle < 0) angle += Math.PI;
      const bin = Math.round(angle / (Math.PI / 4)) % 4;
      energy[(qy * 2 + (x * 2 < width ? 0 : 1)) * 4 + bin] =
        energy[(qy * 2 + (x * 2 < width ? 0 : 1)) * 4 + bin]! + m;
    }
  }
  for (let q = 0; q < 4; q++) {
    const total = energy[q * 4]! + energy[q * 4 + 1]! + energy[q * 4 + 2]! + energy[q * 4 + 3]!;
    for (let bin = 0; bin < 4; bin++)
      out[48 + q * 4 + bin] = total > 0 ? clampByte((energy[q * 4 + bin]! / total) * 255) : 64;
  }
  return out;
}

/** Distance 0..1 between two descriptors: root mean square of the byte differences over 255. */
export function sceneDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError('scene descriptors of different lengths');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum / a.length) / 255;
}

/** Fixed hyperplanes (a seeded generator: the same in every process and release). */
const PLANES = (() => {
  let seed = 0x2f6b1a3d;
  const next = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: SCENE_KEY_BITS }, () =>
    Float64Array.from({ length: SCENE_DIMENSIONS }, () => {
      // A standard normal by Box-Muller: the hyperplanes' directions are uniform.
      const u = Math.max(next(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    }),
  );
})();

/**
 * The descriptor's neutral point the hyperplanes pass through: mid-grey for the colour values, an
 * even spread (a quarter in each of the 4 orientation bins, 64) for the edge values. Through 128
 * everywhere, the edge values (mostly under 128) would push most pictures to the same side.
 */
const CENTRE = Float64Array.from({ length: SCENE_DIMENSIONS }, (_, i) => (i < 48 ? 128 : 64));

/** The scene cluster: which side of each fixed hyperplane through CENTRE the descriptor lies on, as hex digits. */
export function sceneCluster(descriptor: Uint8Array): string {
  let key = 0;
  PLANES.forEach((plane, bit) => {
    let dot = 0;
    for (let i = 0; i < SCENE_DIMENSIONS; i++) dot += plane[i]! * (descriptor[i]! - CENTRE[i]!);
    if (dot > 0) key |= 1 << bit;
  });
  return key.toString(16).padStart(Math.ceil(SCENE_KEY_BITS / 4), '0');
}

/**
 * The camera's roll read from the picture: the angle by which the dominant long straight edges
 * (horizon, verticals of buildings) miss the horizontal or vertical, in degrees, > 0 clockwise.
 * Undefined when no orientation near an axis stands out (most pictures without architecture or a
 * horizon): only measurable where there are such edges.
 */
export function cameraTilt(image: SmallImage): number | undefined {
  const { width, height } = image;
  const { magnitude, direction } = gradients(lumaOf(image), width, height);
  // Edge angles folded to within ±45° of the nearest axis, 1° bins, weighted by gradient strength.
  const bins = new Float64Array(91);
  let total = 0;
  for (let i = 0; i < magnitude.length; i++) {
    const m = magnitude[i]!;
    if (m < 60) continue;
    let degrees = (direction[i]! * 180) / Math.PI;
    degrees = ((((degrees + 45) % 90) + 90) % 90) - 45;
    bins[Math.round(degrees) + 45] = bins[Math.round(degrees) + 45]! + m;
    total += m;
  }
  if (total === 0) return undefined;
  let best = 0;
  let bestMass = 0;
  for (let b = 0; b < 91; b++) {
    let mass = 0;
    for (let d = -2; d <= 2; d++) mass += bins[(b + d + 91) % 91]!;
    if (mass > bestMass) {
      bestMass = mass;
      best = b;
    }
  }
  // Standing out: the ±2° window around the peak holds a quarter of all strong edges (a uniform
  // spread would give 5/91 ≈ 5.5 %).
  if (bestMass / total < 0.25) return undefined;
  let weighted = 0;
  let mass = 0;
  for (let d = -2; d <= 2; d++) {
    const w = bins[(best + d + 91) % 91]!;
    weighted += (best + d - 45) * w;
    mass += w;
  }
  return Math.round((weighted / mass) * 10) / 10;
}

const clampByte = (value: number) => Math.max(0, Math.min(255, Math.round(value)));
