import { applyMutations, fuzzSettings, DEFAULT_FUZZ_SEED } from '@aperture/testing';

describe('file mutations', () => {
  const bytes = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]);

  it('applies each kind of edit, positions modulo the length', () => {
    expect([...applyMutations(bytes, [{ kind: 'flip', at: 9, bit: 7 }], [])]).toEqual([
      0, 0x81, 2, 3, 4, 5, 6, 7,
    ]);
    expect([...applyMutations(bytes, [{ kind: 'truncate', at: 3 }], [])]).toEqual([0, 1, 2]);
    expect([...applyMutations(bytes, [{ kind: 'overwrite', at: 2, value: 0xffffffff }], [])]).toEqual([
      0, 1, 255, 255, 255, 255, 6, 7,
    ]);
    expect([...applyMutations(bytes, [{ kind: 'delete', at: 1, length: 5 }], [])]).toEqual([0, 6, 7]);
    const donor = Buffer.from([9, 9, 8]);
    expect([
      ...applyMutations(bytes, [{ kind: 'splice', at: 1, donor: 3, from: 2, length: 5 }], [donor]),
    ]).toEqual([0, 8, 1, 2, 3, 4, 5, 6, 7]);
    // The input is never changed.
    expect([...bytes]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('takes the seed and the runs from the environment, or the defaults', () => {
    expect(fuzzSettings(25, {})).toEqual({ seed: DEFAULT_FUZZ_SEED, numRuns: 25 });
    expect(fuzzSettings(25, { APERTURE_FUZZ_SEED: '7', APERTURE_FUZZ_RUNS: '1000' })).toEqual({
      seed: 7,
      numRuns: 1000,
    });
    expect(() => fuzzSettings(25, { APERTURE_FUZZ_RUNS: 'many' })).toThrow('APERTURE_FUZZ_RUNS');
  });
});
