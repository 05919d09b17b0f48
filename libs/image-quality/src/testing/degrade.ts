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

/** Gaussian blur of `sigma` analysis pixels (defocus, camera shake). */
export const gaussianBlur =
  (sigma: number): Degradation =>
  async (raster) => {
    const { data, info } = await sharp(Buffer.from(raster.data), {
      raw: { width: raster.width, height: raster.height, channels: 3 },
    })
      .blur(sigma)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data) };
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
