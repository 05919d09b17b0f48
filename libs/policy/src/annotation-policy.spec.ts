import { defaultPolicy, resolvePolicy } from '@aperture/policy';

describe('the annotation and dataset sections of a policy', () => {
  const annotation = (value: unknown) => resolvePolicy({ annotation: value });

  it('accepts a full annotation policy and fills in what is left out', () => {
    const { policy, errors } = resolvePolicy({
      annotation: {
        required: true,
        taskType: 'bbox',
        classes: ['car', 'person'],
        attributes: [
          { name: 'occluded', type: 'boolean', required: true },
          { name: 'colour', type: 'choice', values: ['red', 'blue'], classes: ['car'] },
        ],
        overlap: 3,
        priority: 10,
        pools: ['vendor-a', 'in-house'],
        routing: [{ region: 'EU', pools: ['in-house'] }],
        consensusThreshold: 0.8,
        goldRatio: 0.1,
      },
      dataset: { train: 0.7, val: 0.2, test: 0.1, targets: { minCameraModels: 3 } },
    });
    expect(errors).toEqual([]);
    expect(policy.annotation).toMatchObject({
      taskType: 'bbox',
      overlap: 3,
      iouThreshold: 0.5,
      leaseSeconds: 300,
      attributes: [
        { name: 'occluded', type: 'boolean', required: true, values: [], classes: [] },
        { name: 'colour', type: 'choice', required: false, values: ['red', 'blue'], classes: ['car'] },
      ],
    });
    expect(policy.dataset).toEqual({
      train: 0.7,
      val: 0.2,
      test: 0.1,
      targets: { ...defaultPolicy.dataset.targets, minCameraModels: 3 },
      minBucketShare: {},
    });
  });

  it('takes per-bucket content shares and names an unknown bucket or a share out of range', () => {
    const ok = resolvePolicy({
      dataset: { minBucketShare: { 'timeOfDay:night': 0.2, 'viewpoint:rear view': 0.1 } },
    });
    expect(ok.errors).toEqual([]);
    expect(ok.policy.dataset.minBucketShare).toEqual({ 'timeOfDay:night': 0.2, 'viewpoint:rear view': 0.1 });
    expect(resolvePolicy({ dataset: { minBucketShare: { 'timeOfDay:noon': 0.2 } } }).errors[0]).toMatchObject(
      {
        field: 'dataset.minBucketShare',
        message: expect.stringContaining('unknown bucket "timeOfDay:noon"'),
      },
    );
    expect(
      resolvePolicy({ dataset: { minBucketShare: { 'place:indoor': 2 } } }).errors[0]?.message,
    ).toContain('place:indoor must be a number from 0 to 1');
    expect(
      resolvePolicy({ dataset: { targets: { maxSceneClusterShare: 0.4, minBatchNovelty: 0.1 } } }).errors,
    ).toEqual([]);
  });

  it('keeps annotation off by default', () => {
    expect(resolvePolicy({}).policy.annotation).toMatchObject({ required: false, overlap: 1 });
  });

  it('names each bad field', () => {
    expect(
      annotation({
        taskType: 'segmentation',
        classes: ['car', 'car'],
        overlap: 0,
        pools: [],
        routing: [{ region: 'EU' }],
        attributes: [{ name: 'colour', type: 'choice', values: ['red'] }],
        goldRatio: 0.9,
        reviewers: 2,
      }).errors,
    ).toEqual([
      {
        field: 'annotation.taskType',
        message: 'must be one of classification, bbox, polygon, keypoints, tracking',
      },
      { field: 'annotation.classes', message: 'must not repeat classes' },
      { field: 'annotation.overlap', message: 'must be an integer from 1 to 10' },
      { field: 'annotation.pools', message: 'must be a list of 1..50 pools' },
      { field: 'annotation.routing', message: 'item 0: pools must be a list of 1..50 pools' },
      { field: 'annotation.attributes', message: 'item 0: a choice attribute needs at least two values' },
      { field: 'annotation.goldRatio', message: 'must be a number from 0 to 0.5' },
      { field: 'annotation.reviewers', message: 'is not a known setting' },
    ]);
  });

  it('checks rules across fields', () => {
    expect(annotation({ required: true }).errors).toEqual([
      { field: 'annotation.classes', message: 'must list at least one class when annotation is required' },
    ]);
    expect(annotation({ required: true, taskType: 'keypoints', classes: ['face'] }).errors).toEqual([
      { field: 'annotation.keypoints', message: 'must name the keypoints of a keypoints task' },
    ]);
    expect(
      annotation({ classes: ['car'], attributes: [{ name: 'make', type: 'text', classes: ['bus'] }] }).errors,
    ).toEqual([
      { field: 'annotation.attributes', message: 'item 0: class "bus" is not in annotation.classes' },
    ]);
    expect(resolvePolicy({ dataset: { train: 0.5 } }).errors).toEqual([
      { field: 'dataset.train', message: 'train, val and test must sum to 1 (they sum to 0.7)' },
    ]);
    expect(resolvePolicy({ dataset: { targets: { minClassShare: 2, lots: 1 } } }).errors).toEqual([
      { field: 'dataset.targets', message: 'minClassShare must be a number from 0 to 1' },
    ]);
  });
});
