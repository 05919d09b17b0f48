// Irreversible redaction of boxes in raw pixels. Pure: a new buffer comes back, the input is not
// touched, and every pixel outside the boxes' margins is copied byte for byte.
//
// Every method first replaces each block of the region by its mean, with blocks scaled to the
// face (a sixth or an eighth of its shorter side): what survives of a face is a few dozen averages,
// from which no blur inversion can bring the features back. 'pixelate' then softens the mosaic a
// little, 'blur' smooths it into a plain blur (three box passes as wide as a block), 'fill' paints
// the region one solid colour.
import { expandBox, faceSize, type Box } from './boxes';

export type RedactionMethod = 'pixelate' | 'blur' | 'fill';

export interface RedactionOptions {
  method?: RedactionMethod;
  /** Margin added on every side of each box, as a fraction of the box's width/height. */
  marginRatio?: number;
  /** 'fill' colour, RGB (grey images use r). */
  fill?: readonly [number, number, number];
}

export const DEFAULT_REDACTION: Required<RedactionOptions> = {
  method: 'pixelate',
  marginRatio: 0.25,
  fill: [0, 0, 0],
};

export const REDACTION_METHODS: readonly RedactionMethod[] = ['pixelate', 'blur', 'fill'];

export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. Alpha is left as it is. */
  channels: number;
}

/** Block side for a face: a sixth (pixelate) or an eighth (blur) of its shorter side, at least 4 px. */
export function blockSize(face: Box, method: RedactionMethod): number {
  return Math.max(4, Math.ceil(faceSize(face) / (method === 'blur' ? 8 : 6)));
}

/**
 * Redacts each box plus its margin. Returns the new pixels and the regions changed (integer
 * pixels, clipped to the image). Overlapping regions are each redacted in turn.
 */
export function redactPixels(
  image: RawPixels,
  boxes: readonly Box[],
  options: RedactionOptions = {},
): { data: Uint8Array; regions: Box[] } {
  const { method, marginRatio, fill } = { ...DEFAULT_REDACTION, ...options };
  if (!REDACTION_METHODS.includes(method)) throw new RangeError(`unknown redaction method ${String(method)}`);
  if (!(marginRatio >= 0 && marginRatio <= 2))
    throw new RangeError(`marginRatio must be 0..2, not ${marginRatio}`);
  const { width, height, channels } = image;
  if (image.data.length !== width * height * channels) {
    throw new RangeError(`pixel buffer of ${image.data.length} bytes is not ${width}x${height}x${channels}`);
  }
  const data = Uint8Array.from(image.data);
  const colours = channels >= 3 ? 3 : 1;
  const regions: Box[] = [];
  for (const box of boxes) {
    const region = expandBox(box, marginRatio, width, height);
    if (region.width === 0 || region.height === 0) continue;
    regions.push(region);
    const view = { data, width, channels, colours, region };
    if (method === 'fill') {
      fillRegion(view, fill);
      continue;
    }
    const block = blockSize(box, method);
    blockMeans(view, block);
    if (method === 'pixelate') boxBlur(view, Math.floor(block / 3), 1);
    else boxBlur(view, block, 3);
  }
  return { data, regions };
}

interface RegionView {
  data: Uint8Array;
  width: number;
  channels: number;
  colours: number;
  region: Box;
}

function fillRegion({ data, width, channels, colours, region }: RegionView, fill: readonly number[]): void {
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let x = region.x; x < region.x + region.width; x++) {
      const i = (y * width + x) * channels;
      for (let c = 0; c < colours; c++) data[i + c] = fill[c] ?? 0;
    }
  }
}

/** Each block x block cell of the region (the last ones smaller) replaced by its mean. */
function blockMeans({ data, width, channels, colours, region }: RegionView, block: number): void {
  const x1 = region.x + region.width;
  const y1 = region.y + region.height;
  const sums = new Float64Array(colours);
  for (let by = region.y; by < y1; by += block) {
    for (let bx = region.x; bx < x1; bx += block) {
      const ey = Math.min(by + block, y1);
      const ex = Math.min(bx + block, x1);
      sums.fill(0);
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const i = (y * width + x) * channels;
          for (let c = 0; c < colours; c++) sums[c]! += data[i + c]!;
        }
      }
      const n = (ey - by) * (ex - bx);
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const i = (y * width + x) * channels;
          for (let c = 0; c < colours; c++) data[i + c] = Math.round(sums[c]! / n);
        }
      }
    }
  }
}

/** `passes` separable box blurs of the given radius, confined to the region (edges clamped). */
function boxBlur(
  { data, width, channels, colours, region }: RegionView,
  radius: number,
  passes: number,
): void {
  if (radius < 1) return;
  const w = region.width;
  const h = region.height;
  const plane = new Float32Array(w * h);
  const line = new Float32Array(Math.max(w, h));
  for (let c = 0; c < colours; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++)
        plane[y * w + x] = data[((region.y + y) * width + region.x + x) * channels + c]!;
    }
    for (let p = 0; p < passes; p++) {
      for (let y = 0; y < h; y++) blurLine(plane, y * w, 1, w, radius, line);
      for (let x = 0; x < w; x++) blurLine(plane, x, w, h, radius, line);
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        data[((region.y + y) * width + region.x + x) * channels + c] = Math.round(plane[y * w + x]!);
      }
    }
  }
}

/** A running-sum box blur along one row or column of `n` values, `stride` apart. */
function blurLine(
  plane: Float32Array,
  start: number,
  stride: number,
  n: number,
  radius: number,
  line: Float32Array,
): void {
  const at = (i: number) => plane[start + Math.min(n - 1, Math.max(0, i)) * stride]!;
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += at(i);
  const size = 2 * radius + 1;
  for (let i = 0; i < n; i++) {
    line[i] = sum / size;
    sum += at(i + radius + 1) - at(i - radius);
  }
  for (let i = 0; i < n; i++) plane[start + i * stride] = line[i]!;
}
