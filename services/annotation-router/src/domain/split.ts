import { createHash } from 'node:crypto';

export type Split = 'train' | 'val' | 'test';

export interface SplitRatios {
  train: number;
  val: number;
  test: number;
}

/**
 * The split of an image: the first 52 bits of SHA-256(image id) as a number u in [0, 1) fall in
 * [0, train) → train, [train, train + val) → val, else test. The same id and ratios always give
 * the same split, in any service or language.
 */
export function splitOf(imageId: string, ratios: SplitRatios): Split {
  const u = splitPosition(imageId);
  if (u < ratios.train) return 'train';
  if (u < ratios.train + ratios.val) return 'val';
  return 'test';
}

/** u in [0, 1): the first 13 hex digits (52 bits) of SHA-256(image id) divided by 2^52. */
export function splitPosition(imageId: string): number {
  const hex = createHash('sha256').update(imageId, 'utf8').digest('hex').slice(0, 13);
  return Number.parseInt(hex, 16) / 2 ** 52;
}
