/**
 * 64-bit hashes as two unsigned 32-bit halves (JavaScript has no fast 64-bit integers: bigint is
 * an order of magnitude slower here) and as 16-character lower-case hex strings, which is how a
 * fingerprint travels in JSON and BSON.
 */

/** The number of set bits of a 32-bit integer (SWAR popcount). */
export function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Hamming distance between two hashes given as halves. */
export function hamming(aHigh: number, aLow: number, bHigh: number, bLow: number): number {
  return popcount32((aHigh ^ bHigh) >>> 0) + popcount32((aLow ^ bLow) >>> 0);
}

const HEX = /^[0-9a-f]{16}$/;

export function hashToHex(high: number, low: number): string {
  return (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0');
}

/** Parses a 16-character hex hash into out[offset] (high half) and out[offset + 1] (low half). */
export function hexToHalves(hex: string, out: Uint32Array, offset: number): void {
  if (!HEX.test(hex)) throw new TypeError(`not a 64-bit hex hash: ${JSON.stringify(hex)}`);
  out[offset] = Number.parseInt(hex.slice(0, 8), 16);
  out[offset + 1] = Number.parseInt(hex.slice(8), 16);
}

/** Hex hashes as a flat array of halves: [high0, low0, high1, low1, ...]. */
export function hexListToHalves(hexes: readonly string[]): Uint32Array {
  const halves = new Uint32Array(hexes.length * 2);
  hexes.forEach((hex, i) => hexToHalves(hex, halves, i * 2));
  return halves;
}
