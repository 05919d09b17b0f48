import { coefficientAt, lowestCoefficients, lowFrequencyDct } from '../duplicates/dct-hash';
import { SummedArea, type GreyRaster } from '../duplicates/grey-raster';
import { hashToHex } from '../duplicates/hash64';

const LOWEST_8X8 = lowestCoefficients(8);

/**
 * The baseline the fingerprint is measured against: the classic 64-bit pHash (as in the
 * imagehash library): the whole raster shrunk to 32 × 32, its 8 × 8 lowest DCT coefficients
 * (brightness included) compared with their median. No border trimming, no orientation handling,
 * one hash. Compared by Hamming distance.
 */
export function plainPerceptualHash(raster: GreyRaster): string {
  const block = new SummedArea(raster).sample({ x0: 0, y0: 0, x1: raster.width, y1: raster.height }, 32, 32);
  const coefficients = lowFrequencyDct(block, 32, LOWEST_8X8);
  const lowest: number[] = [];
  for (let v = 0; v < 8; v++) for (let u = 0; u < 8; u++) lowest.push(coefficientAt(coefficients, u, v));
  const sorted = [...lowest].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let high = 0;
  let low = 0;
  lowest.forEach((value, bit) => {
    if (value <= median) return;
    if (bit < 32) low |= 1 << bit;
    else high |= 1 << (bit - 32);
  });
  return hashToHex(high >>> 0, low >>> 0);
}
