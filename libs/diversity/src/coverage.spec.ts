import {
  addContribution,
  checkCoverage,
  coverageOf,
  emptyCounts,
  mergeCounts,
  type CoverageContribution,
} from './coverage';

const image = (
  cluster: string,
  novelty: number,
  timeOfDay = 'day',
  viewpoint = 'frontal',
): CoverageContribution => ({
  buckets: {
    timeOfDay,
    place: 'outdoor',
    backlight: 'front-lit',
    viewpoint,
    distance: 'near',
    occlusion: 'none',
    content: 'people',
  },
  cluster,
  novelty,
});

describe('coverage', () => {
  const batchA = [image('0a', 1), image('0a', 0.1), image('1f', 1, 'night', 'rear view')].reduce(
    addContribution,
    emptyCounts(),
  );
  const batchB = [image('0a', 0.05), image('0a', 0.02), image('0a', 0.01, 'night')].reduce(
    addContribution,
    emptyCounts(),
  );

  it('shares each axis, counts scene clusters, their effective number and the largest share', () => {
    const coverage = coverageOf(batchA);
    expect(coverage.images).toBe(3);
    expect(coverage.axes.timeOfDay).toEqual([
      { label: 'day', count: 2, share: 0.667 },
      { label: 'night', count: 1, share: 0.333 },
    ]);
    expect(coverage.axes.viewpoint.map((b) => b.label)).toEqual(['frontal', 'rear view']);
    expect(coverage.scenes.clusters).toBe(2);
    // exp(H) of shares 2/3, 1/3: between 1 and 2.
    expect(coverage.scenes.effective).toBeCloseTo(1.89, 2);
    expect(coverage.scenes.largestShare).toBe(0.667);
    expect(coverage.meanNovelty).toBe(0.7);
    expect(coverage.newSceneShare).toBe(0.667);
  });

  it('merges batch counters into the project’s exactly as counting every image would', () => {
    const all = [
      ...[image('0a', 1), image('0a', 0.1), image('1f', 1, 'night', 'rear view')],
      image('0a', 0.05),
      image('0a', 0.02),
      image('0a', 0.01, 'night'),
    ].reduce(addContribution, emptyCounts());
    expect(mergeCounts(batchA, batchB)).toEqual({ ...all, noveltySum: expect.closeTo(all.noveltySum, 9) });
    expect(coverageOf(mergeCounts(batchA, batchB)).scenes.largestShare).toBe(0.833);
  });

  it('checks bucket shares, the largest cluster and (for a batch) the novelty against the targets', () => {
    const targets = {
      minBucketShare: { 'timeOfDay:night': 0.3, 'viewpoint:profile': 0.1 },
      maxSceneClusterShare: 0.5,
      minBatchNovelty: 0.2,
    };
    const checks = checkCoverage(coverageOf(batchB), targets, true);
    expect(checks.map((c) => [c.target, c.met])).toEqual([
      ['minBucketShare timeOfDay:night', true],
      ['minBucketShare viewpoint:profile', false],
      ['maxSceneClusterShare', false],
      ['minBatchNovelty', false],
    ]);
    expect(checks[3]!.actual).toBe(0.027);
    expect(checkCoverage(coverageOf(batchB), targets, false).map((c) => c.target)).not.toContain(
      'minBatchNovelty',
    );
  });

  it('is empty and meets no cluster goal without images', () => {
    const coverage = coverageOf(emptyCounts());
    expect(coverage).toMatchObject({
      images: 0,
      meanNovelty: 0,
      scenes: { clusters: 0, effective: 0, largestShare: 0 },
    });
    expect(checkCoverage(coverage, { maxSceneClusterShare: 0.5 }, false)).toEqual([]);
  });
});
