import { sharp } from '@aperture/imaging';
import type { RgbRaster } from '../metrics';

/**
 * Controlled degradations of an analysis raster, used to calibrate the default thresholds and by
 * the tests: each mimics a real capture fault at a stated strength.
 */
export type Degradation = (raster: RgbRaster) => Promise<RgbRaster>;

const srgbToLinear = (value: number) => {
  const c = value / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const linearToSrgb = (linear: number) => {
  const c = Math.min(1, Math.max(0, linear));
  return Math.round(255 * (c <= 0.0031308 ? c * 12.92 : 1.055 * c ** (1 / 2.4) - 0.055));
};

function mapValues(raster: RgbRaster, lookup: Uint8Array): RgbRaster {
  const data = new Uint8Array(raster.data.length);
  for (let i = 0; i < data.length; i++) data[i] = lookup[raster.data[i]!]!;
  return { width: raster.width, height: raster.height, data };
}

/** Exposure shifted by `stops` EV in linear light (−3: an eighth of the light), clipped at white. */
export const exposure =
  (stops: number): Degradation =>
  (raster) =>
    Promise.resolve(
      mapValues(
        raster,
        Uint8Array.from({ length: 256 }, (_, v) => linearToSrgb(srgbToLinear(v) * 2 ** stops)),
      ),
    );

/** Contrast scaled by `factor` (0..1) around mid-grey: haze, a dirty lens, a washed-out scan. */
export const contrast =
  (factor: number): Degradation =>
  (raster) =>
    Promise.resolve(
      mapValues(
        raster,
        Uint8Array.from({ length: 256 }, (_, v) => Math.round(128 + (v - 128) * factor)),
      ),
    );

const rawPipeline = (raster: RgbRaster) =>
  sharp(Buffer.from(raster.data), { raw: { width: raster.width, height: raster.height, channels: 3 } });

async function fromPipeline(pipeline: ReturnType<typeof sharp>): Promise<RgbRaster> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

/** Gaussian blur of `sigma` pixels (a soft lens, mild defocus). */
export const gaussianBlur =
  (sigma: number): Degradation =>
  (raster) =>
    fromPipeline(rawPipeline(raster).blur(sigma));

/** A square kernel of odd side, normalised by sharp (scale = its sum). */
async function convolve(raster: RgbRaster, side: number, kernel: number[]): Promise<RgbRaster> {
  const scale = kernel.reduce((a, b) => a + b, 0);
  return fromPipeline(rawPipeline(raster).convolve({ width: side, height: side, kernel, scale }));
}

/**
 * Defocus: the lens' disc of confusion, `radius` pixels, its rim anti-aliased (each kernel cell
 * weighted by how much of it the disc covers, sampled 4 × 4).
 */
export const defocus =
  (radius: number): Degradation =>
  (raster) => {
    const half = Math.ceil(radius);
    const side = 2 * half + 1;
    const kernel: number[] = [];
    for (let y = -half; y <= half; y++)
      for (let x = -half; x <= half; x++) {
        let covered = 0;
        for (let sy = 0; sy < 4; sy++)
          for (let sx = 0; sx < 4; sx++) {
            const px = x - 0.375 + sx * 0.25;
            const py = y - 0.375 + sy * 0.25;
            if (px * px + py * py <= radius * radius) covered++;
          }
        kernel.push(covered / 16);
      }
    return convolve(raster, side, kernel);
  };

/**
 * Motion blur: the camera moved `length` pixels along `angle` degrees (0 = along rows) during
 * the exposure: a line kernel, sampled finely and splatted bilinearly, so any angle is smooth.
 */
export const motionBlur =
  (length: number, angle: number): Degradation =>
  (raster) => {
    const half = Math.ceil(length / 2) + 1;
    const side = 2 * half + 1;
    const kernel = new Array<number>(side * side).fill(0);
    const dx = Math.cos((angle * Math.PI) / 180);
    const dy = Math.sin((angle * Math.PI) / 180);
    const samples = Math.max(2, Math.ceil(length * 8));
    for (let i = 0; i <= samples; i++) {
      const t = (i / samples - 0.5) * length;
      const x = half + t * dx;
      const y = half + t * dy;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      kernel[y0 * side + x0]! += (1 - fx) * (1 - fy);
      kernel[y0 * side + x0 + 1]! += fx * (1 - fy);
      kernel[(y0 + 1) * side + x0]! += (1 - fx) * fy;
      kernel[(y0 + 1) * side + x0 + 1]! += fx * fy;
    }
    return convolve(raster, side, kernel);
  };

/**
 * Washed out: the black level lifted to `lift` and the gain raised by `gain`, as a wrong exposure
 * or a flat picture profile does; only values pushed past white clip.
 */
export const washedOut =
  (lift: number, gain: number): Degradation =>
  (raster) =>
    Promise.resolve(
      mapValues(
        raster,
        Uint8Array.from({ length: 256 }, (_, v) =>
          Math.min(255, Math.round(lift + (v * gain * (255 - lift)) / 255)),
        ),
      ),
    );

/**
 * Haze (a hard negative): airlight of level `airlight` mixed in by depth, thickest at the top
 * of the frame (the distance: transmission `far`) and thinnest at the bottom (the foreground:
 * `near`), which keeps its shadows. The picture is correctly exposed, only hazy.
 */
export const haze =
  (airlight: number, far: number, near: number): Degradation =>
  (raster) => {
    const data = new Uint8Array(raster.data.length);
    for (let y = 0; y < raster.height; y++) {
      const t = far + ((near - far) * y) / Math.max(1, raster.height - 1);
      for (let i = y * raster.width * 3; i < (y + 1) * raster.width * 3; i++)
        data[i] = Math.round(raster.data[i]! * t + airlight * (1 - t));
    }
    return Promise.resolve({ width: raster.width, height: raster.height, data });
  };

/**
 * Shallow depth of field (a hard negative): the centre ellipse (`subject` of each side) kept
 * sharp and the rest defocused by `sigma`, with a feathered boundary, as a portrait lens does.
 */
export const shallowDepthOfField =
  (subject: number, sigma: number): Degradation =>
  async (raster) => {
    const background = await gaussianBlur(sigma)(raster);
    const data = new Uint8Array(raster.data.length);
    const { width, height } = raster;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const u = (x - width / 2) / ((subject * width) / 2);
        const v = (y - height / 2) / ((subject * height) / 2);
        const r = Math.sqrt(u * u + v * v);
        const sharpness = r <= 0.8 ? 1 : r >= 1.2 ? 0 : (1.2 - r) / 0.4;
        for (let c = 0, i = (y * width + x) * 3; c < 3; c++, i++)
          data[i] = Math.round(raster.data[i]! * sharpness + background.data[i]! * (1 - sharpness));
      }
    return { width, height, data };
  };

/** Every pixel replaced by the image's mean colour plus faint noise: a lens cap, a blank wall. */
export const blank: Degradation = (raster) => {
  const sums = [0, 0, 0];
  for (let i = 0; i < raster.data.length; i++) sums[i % 3]! += raster.data[i]!;
  const pixels = raster.width * raster.height;
  const data = new Uint8Array(raster.data.length);
  let seed = 12_345;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    const value = sums[i % 3]! / pixels + ((seed >> 16) % 3) - 1 + 0.5;
    data[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  return Promise.resolve({ width: raster.width, height: raster.height, data });
};

/** Colour removed (luma copied to R, G and B). */
export const desaturate: Degradation = (raster) => {
  const data = new Uint8Array(raster.data.length);
  for (let i = 0; i < data.length; i += 3) {
    // Rounded by the typed array's assignment (ToUint8 truncates; +0.5 makes it round).
    const y = 0.299 * raster.data[i]! + 0.587 * raster.data[i + 1]! + 0.114 * raster.data[i + 2]! + 0.5;
    data[i] = data[i + 1] = data[i + 2] = y;
  }
  return Promise.resolve({ width: raster.width, height: raster.height, data });
};
