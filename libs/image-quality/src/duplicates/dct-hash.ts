/**
 * The 64-bit hash of one square window: the signs of 64 low-frequency DCT coefficients of the
 * window resampled to BLOCK_SIZE × BLOCK_SIZE (16 area-averaged samples a side carry the
 * frequencies up to 8 that are hashed), taken after turning the window into a canonical orientation.
 *
 * Signs rather than the usual "above the median" make the eight mirror/90°-turn variants of a
 * window exact functions of its coefficients: mirroring left-right negates the coefficients of
 * odd horizontal frequency, upside-down those of odd vertical frequency, and transposing swaps
 * the two frequencies. The canonical orientation is the variant in which the first horizontal
 * coefficient C(1,0) is positive and at least as large as C(0,1), which is also positive. A mirrored
 * or turned copy therefore hashes to the same value, and no lookup has to try eight variants.
 * Where the choice is close (|C(1,0)| ≈ |C(0,1)|, or either near 0), a small edit can flip it, so
 * the alternatives are returned too, for lookups.
 */

export const BLOCK_SIZE = 16;
/** Coefficients are computed for frequencies 0..MAX_FREQUENCY on each axis. */
const MAX_FREQUENCY = 8;
const SPAN = MAX_FREQUENCY + 1;

/**
 * The 64 hashed coefficients (u horizontal, v vertical frequency), from low to high frequency:
 * the 8 × 8 lowest, as in pHash, except C(0,0) (brightness) and C(1,0), C(0,1) (always positive
 * in the canonical orientation), plus C(8,0), C(0,8) and C(8,8). Low frequencies survive
 * resizing, recompression, watermarks and small shifts. The set is closed under transposition,
 * as the canonical orientation needs.
 */
const HASHED_COEFFICIENTS: ReadonlyArray<readonly [number, number]> = (() => {
  const set: Array<[number, number]> = [];
  for (let v = 0; v < 8; v++) for (let u = 0; u < 8; u++) if (u + v > 1) set.push([u, v]);
  set.push([8, 0], [0, 8], [8, 8]);
  return set.sort((a, b) => a[0] + a[1] - (b[0] + b[1]) || a[1] - b[1]);
})();

/**
 * Bit position of each hashed coefficient. Coefficients, ordered from low to high frequency, are
 * dealt to the four 16-bit index bands in turn, so that each band mixes robust low and fragile
 * high frequencies and is about as likely as the others to survive an edit intact.
 */
const BIT_OF_COEFFICIENT: readonly number[] = (() => {
  const next = [0, 16, 32, 48];
  return HASHED_COEFFICIENTS.map((_, rank) => next[rank % 4]!++);
})();

// The hashed coefficients as flat tables, for the inner loops: where C(u, v) and its transpose
// C(v, u) sit in the coefficient array, whether u and v are odd, and the bit it sets.
const AT_STRAIGHT = Int32Array.from(HASHED_COEFFICIENTS, ([u, v]) => v * SPAN + u);
const AT_TRANSPOSED = Int32Array.from(HASHED_COEFFICIENTS, ([u, v]) => u * SPAN + v);
const ODD_U = Uint8Array.from(HASHED_COEFFICIENTS, ([u]) => u % 2);
const ODD_V = Uint8Array.from(HASHED_COEFFICIENTS, ([, v]) => v % 2);
const BITS = Int32Array.from(BIT_OF_COEFFICIENT);
/** The coefficients canonicalHashes reads: the hashed ones and C(1,0), C(0,1). */
export const HASH_COEFFICIENTS_NEEDED = Int32Array.from([...AT_STRAIGHT, 1, SPAN]);

// cos((2x + 1) u π / 2N) for u ≤ MAX_FREQUENCY and x < N, row-major by u; one table per block size.
const cosineTables = new Map<number, Float64Array>();
function cosines(size: number): Float64Array {
  let table = cosineTables.get(size);
  if (!table) {
    table = new Float64Array(SPAN * size);
    for (let u = 0; u < SPAN; u++) {
      for (let x = 0; x < size; x++) table[u * size + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * size));
    }
    cosineTables.set(size, table);
  }
  return table;
}

/** C(u, v) from the array lowFrequencyDct returns. */
export function coefficientAt(coefficients: Float64Array, u: number, v: number): number {
  return coefficients[v * SPAN + u]!;
}

/**
 * DCT-II coefficients C(u, v), u, v ≤ MAX_FREQUENCY, of a size × size block: those at the given
 * positions (v * SPAN + u) are computed, the others left 0 (read them with coefficientAt).
 * Separable: first along columns for each v, then along rows for each needed (u, v).
 */
export function lowFrequencyDct(
  block: Float64Array,
  size: number = BLOCK_SIZE,
  needed: Int32Array = HASH_COEFFICIENTS_NEEDED,
): Float64Array {
  const table = cosines(size);
  const columnsByV = new Float64Array(SPAN * size); // Σ_y cos_v(y) · block(x, y), at [v][x]
  for (let v = 0; v < SPAN; v++) {
    const target = v * size;
    for (let y = 0; y < size; y++) {
      const c = table[v * size + y]!;
      const row = y * size;
      for (let x = 0; x < size; x++) columnsByV[target + x]! += c * block[row + x]!;
    }
  }
  const coefficients = new Float64Array(SPAN * SPAN);
  for (let k = 0; k < needed.length; k++) {
    const at = needed[k]!;
    const u = at % SPAN;
    const columns = ((at - u) / SPAN) * size;
    let sum = 0;
    for (let x = 0; x < size; x++) sum += table[u * size + x]! * columnsByV[columns + x]!;
    coefficients[at] = sum;
  }
  return coefficients;
}

/** Positions of C(u, v) for u, v < n, for lowFrequencyDct. */
export function lowestCoefficients(n: number): Int32Array {
  const positions: number[] = [];
  for (let v = 0; v < n; v++) for (let u = 0; u < n; u++) positions.push(v * SPAN + u);
  return Int32Array.from(positions);
}

/** One orientation: transpose first, then negate odd horizontal (mirror) and odd vertical (flip) frequencies. */
interface Orientation {
  transpose: boolean;
  mirror: boolean;
  flip: boolean;
}

/** A 64-bit hash as halves. */
export interface HashHalves {
  high: number;
  low: number;
}

function hashInOrientation(coefficients: Float64Array, orientation: Orientation): HashHalves {
  const positions = orientation.transpose ? AT_TRANSPOSED : AT_STRAIGHT;
  let high = 0;
  let low = 0;
  for (let k = 0; k < positions.length; k++) {
    let value = coefficients[positions[k]!]!;
    if (orientation.mirror && ODD_U[k] === 1) value = -value;
    if (orientation.flip && ODD_V[k] === 1) value = -value;
    if (value > 0) {
      const bit = BITS[k]!;
      if (bit < 32) low |= 1 << bit;
      else high |= 1 << (bit - 32);
    }
  }
  return { high: high >>> 0, low: low >>> 0 };
}

/**
 * The canonical hash of a block's coefficients first, then the hashes of the other orientations
 * that a slightly edited copy could pick instead. `ambiguity` is the margin, as a fraction of the
 * coefficients' RMS, inside which a choice counts as close.
 */
export function canonicalHashes(coefficients: Float64Array, ambiguity: number): HashHalves[] {
  let energy = 0;
  for (let k = 0; k < AT_STRAIGHT.length; k++) energy += coefficients[AT_STRAIGHT[k]!]! ** 2;
  const c10 = coefficients[1]!;
  const c01 = coefficients[SPAN]!;
  energy += c10 * c10 + c01 * c01;
  const margin = ambiguity * Math.sqrt(energy / (HASHED_COEFFICIENTS.length + 2));

  const choices = (preferred: boolean, closeness: number): boolean[] =>
    closeness < margin ? [preferred, !preferred] : [preferred];
  const hashes: HashHalves[] = [];
  const seen = new Set<string>();
  for (const transpose of choices(Math.abs(c01) > Math.abs(c10), Math.abs(Math.abs(c10) - Math.abs(c01)))) {
    const horizontal = transpose ? c01 : c10;
    const vertical = transpose ? c10 : c01;
    for (const mirror of choices(horizontal < 0, Math.abs(horizontal))) {
      for (const flip of choices(vertical < 0, Math.abs(vertical))) {
        const hash = hashInOrientation(coefficients, { transpose, mirror, flip });
        const key = `${hash.high}:${hash.low}`;
        if (!seen.has(key)) {
          seen.add(key);
          hashes.push(hash);
        }
      }
    }
  }
  return hashes;
}
