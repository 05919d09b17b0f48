import { complianceV1, curatedV1 } from '@aperture/contracts';
import { decodeCurated } from '@aperture/curated-consumer';
import { resolvePolicy } from '@aperture/policy';
import { canonicalJson, curatedEvent, policyVersions } from './curated';
import { splitOf } from './domain/split';

const cleared = complianceV1.ImageCleared.fromPartial({
  image: {
    imageId: 'img_curated_1',
    tenantId: 't1',
    projectId: 'p1',
    batchId: 'bat_1',
    filename: 'street.jpg',
    raw: { key: 'raw/sha256/aa', checksum: { algorithm: 1, hex: 'aa11' } },
    declarations: { region: 'EU', consentIds: ['cns_1'] },
  },
  quality: { width: 4000, height: 3000 },
  standardize: {
    width: 1024,
    height: 768,
    operations: [
      { name: 'decode', params: { format: 'jpeg' } },
      { name: 'resize', params: { width: '1024', height: '768' } },
    ],
  },
  compliance: {
    consentIds: ['cns_1'],
    removedMetadata: ['exif', 'gps'],
    hadGps: true,
    faces: [
      { x: 100, y: 50, width: 40, height: 48, score: 0.93, redacted: true },
      { x: 300, y: 60, width: 30, height: 36, score: 0.71, redacted: true },
    ],
    cleared: {
      key: 'cleared/img_curated_1.jpg',
      contentType: 'image/jpeg',
      sizeBytes: '2048',
      checksum: { algorithm: 1, hex: 'cc33' },
    },
  },
});
const { policy } = resolvePolicy({
  annotation: { required: true, taskType: 'bbox', classes: ['car'] },
  dataset: { train: 0.6, val: 0.2, test: 0.2 },
});

describe('the curated record', () => {
  it('carries labels, derivative, size, split, lineage and compliance facts', () => {
    const bytes = curatedEvent(cleared, {
      policy,
      taskType: 'bbox',
      curatedAt: '2026-11-24T00:00:00.000Z',
      decision: {
        annotationJson:
          '{"labels":[{"class":"car","box":{"x":10,"y":20,"width":30,"height":40},"attributes":{"occluded":"true"}}]}',
        source: 'consensus',
        agreement: 0.92,
        annotators: ['a1', 'a2', 'a3'],
        reviewer: '',
      },
    });
    const image = decodeCurated(bytes);
    expect(image).toMatchObject({
      imageId: 'img_curated_1',
      batchId: 'bat_1',
      split: splitOf('img_curated_1', policy.dataset),
      image: {
        key: 'cleared/img_curated_1.jpg',
        contentType: 'image/jpeg',
        sizeBytes: 2048,
        sha256: 'cc33',
        width: 1024,
        height: 768,
      },
      coordinateConvention: 'pixel-xywh-top-left',
      labels: [
        { className: 'car', box: { x: 10, y: 20, width: 30, height: 40 }, attributes: { occluded: 'true' } },
      ],
      annotation: { taskType: 'bbox', source: 'consensus', agreement: 0.92, annotators: ['a1', 'a2', 'a3'] },
      lineage: {
        stages: ['ingest', 'quality', 'standardize', 'compliance', 'annotation-router', 'annotation'],
        operations: [
          { name: 'decode', params: { format: 'jpeg' } },
          { name: 'resize', params: { width: '1024', height: '768' } },
        ],
        policyVersions: policyVersions(policy),
        rawSha256: 'aa11',
      },
      compliance: {
        consentIds: ['cns_1'],
        region: 'EU',
        removedMetadata: ['exif', 'gps'],
        hadGps: true,
        redactions: [
          { kind: 'face', region: { x: 100, y: 50, width: 40, height: 48 } },
          { kind: 'face', region: { x: 300, y: 60, width: 30, height: 36 } },
        ],
      },
      curatedAt: '2026-11-24T00:00:00.000Z',
    });
    expect(Object.keys(image.lineage.policyVersions).sort()).toEqual([
      'annotation',
      'compliance',
      'dataset',
      'quality',
      'standardize',
    ]);
    expect(image.lineage.policyVersions['quality']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('without annotation: no labels, source none, and the same split rule', () => {
    const record = curatedV1.ImageCurated.decode(curatedEvent(cleared, { policy }));
    expect(record.labels).toEqual({ labels: [] });
    expect(record.annotation).toMatchObject({ source: 'none', taskType: '' });
    expect(record.lineage?.stages).not.toContain('annotation');
    expect(record.split).not.toBe(curatedV1.Split.SPLIT_UNSPECIFIED);
  });

  it('versions a policy section by its content, whatever the key order', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":3,"d":2}]}');
    const changed = resolvePolicy({ quality: { minWidth: 100 } }).policy;
    expect(policyVersions(changed)['quality']).not.toBe(policyVersions(resolvePolicy({}).policy)['quality']);
    expect(policyVersions(changed)['standardize']).toBe(
      policyVersions(resolvePolicy({}).policy)['standardize'],
    );
  });
});
