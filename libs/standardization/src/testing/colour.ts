// Reference colour conversions, written out from the colour spaces' published definitions (primaries,
// white points, transfer curves), to check the ICC-driven conversions against numbers that do not
// come from libvips or lcms.
type Matrix = readonly [readonly number[], readonly number[], readonly number[]];

const multiply = (m: Matrix, v: readonly number[]): number[] =>
  m.map((row) => row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]!);

/** XYZ (D65) to linear sRGB (IEC 61966-2-1). */
const xyzToLinearSrgb: Matrix = [
  [3.2404542, -1.5371385, -0.4985314],
  [-0.969266, 1.8760108, 0.041556],
  [0.0556434, -0.2040259, 1.0572252],
];
/** Bradford chromatic adaptation D50 → D65. */
const d50ToD65: Matrix = [
  [0.9555766, -0.0230393, 0.0631636],
  [-0.0282895, 1.0099416, 0.0210077],
  [0.0122982, -0.020483, 1.3299098],
];

const encodeSrgb = (linear: number): number => {
  const c = Math.min(1, Math.max(0, linear));
  const v = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
  return Math.round(v * 255);
};
const decodeSrgb = (v: number): number => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);

export interface RgbSpace {
  toXyz: Matrix;
  /** Encoded 0..1 → linear. */
  decode: (v: number) => number;
  /** The space's white is D50 (adapted with Bradford). */
  d50?: boolean;
}

export const displayP3: RgbSpace = {
  toXyz: [
    [0.4865709, 0.2656677, 0.1982173],
    [0.2289746, 0.6917385, 0.0792869],
    [0, 0.0451134, 1.0439444],
  ],
  decode: decodeSrgb,
};

export const adobeRgb: RgbSpace = {
  toXyz: [
    [0.5767309, 0.185554, 0.1881852],
    [0.2973769, 0.6273491, 0.0752741],
    [0.0270343, 0.0706872, 0.9911085],
  ],
  decode: (v) => v ** (563 / 256),
};

export const proPhotoRgb: RgbSpace = {
  toXyz: [
    [0.7976749, 0.1351917, 0.0313534],
    [0.2880402, 0.7118741, 0.0000857],
    [0, 0, 0.82521],
  ],
  decode: (v) => (v < 16 / 512 ? v / 16 : v ** 1.8),
  d50: true,
};

/** An encoded RGB triple (0..1) of `space` as 8-bit sRGB, out-of-gamut values clipped. */
export function toSrgb8(space: RgbSpace, rgb: readonly number[]): number[] {
  let xyz = multiply(space.toXyz, rgb.map(space.decode));
  if (space.d50) xyz = multiply(d50ToD65, xyz);
  return multiply(xyzToLinearSrgb, xyz).map(encodeSrgb);
}

/** CIE L*a*b* (white D65, libvips' convention) as 8-bit sRGB. */
export function labToSrgb8(L: number, a: number, b: number): number[] {
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inverse = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const white = [0.95047, 1, 1.08883];
  const xyz = [
    inverse(fx) * white[0]!,
    (L > 8 ? fy ** 3 : L / (24389 / 27)) * white[1]!,
    inverse(fz) * white[2]!,
  ];
  return multiply(xyzToLinearSrgb, xyz).map(encodeSrgb);
}
