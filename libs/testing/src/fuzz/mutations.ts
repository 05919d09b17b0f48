import * as fc from 'fast-check';

/**
 * One edit of a file, positions taken modulo its length: flip a bit, truncate, overwrite 4 bytes
 * with a boundary value (where a length or a dimension may live), delete a range, or splice in a
 * range of another file (a "donor", possibly of another format: foreign chunks and markers).
 */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'overwrite'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'splice'; at: number; donor: number; from: number; length: number };

const BOUNDARY_VALUES = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

export function mutationArbitrary(): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('overwrite' as const),
        at,
        value: fc.constantFrom(...BOUNDARY_VALUES),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('delete' as const),
        at,
        length: fc.integer({ min: 1, max: 4096 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('splice' as const),
        at,
        donor: fc.nat(),
        from: fc.nat(),
        length: fc.integer({ min: 1, max: 4096 }),
      }),
    },
  );
}

/** Applies the mutations in order; `donors` are the files splices copy from. */
export function applyMutations(
  bytes: Buffer,
  mutations: readonly Mutation[],
  donors: readonly Buffer[],
): Buffer {
  let out = Buffer.from(bytes);
  for (const mutation of mutations) {
    if (out.length === 0) break;
    const at = mutation.at % out.length;
    switch (mutation.kind) {
      case 'flip':
        out[at] = out[at]! ^ (1 << mutation.bit);
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
      case 'overwrite':
        if (at + 4 <= out.length) out.writeUInt32BE(mutation.value >>> 0, at);
        break;
      case 'delete':
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + mutation.length)]);
        break;
      case 'splice': {
        const donor = donors[mutation.donor % donors.length]!;
        const from = mutation.from % donor.length;
        out = Buffer.concat([
          out.subarray(0, at),
          donor.subarray(from, from + mutation.length),
          out.subarray(at),
        ]);
        break;
      }
    }
  }
  return Buffer.from(out);
}
