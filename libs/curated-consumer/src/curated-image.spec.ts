import { curatedV1 } from '@aperture/contracts';
import { CuratedDecodeError, decodeCurated } from '@aperture/curated-consumer';

describe('decodeCurated', () => {
  const record = curatedV1.ImageCurated.fromPartial({
    image: { imageId: 'img_1', tenantId: 't', projectId: 'p', batchId: 'b', filename: 'a.jpg' },
    output: {
      key: 'cleared/img_1.jpg',
      contentType: 'image/jpeg',
      sizeBytes: '1234',
      checksum: { algorithm: 1, hex: 'ab' },
    },
    split: curatedV1.Split.SPLIT_VAL,
    width: 640,
    height: 480,
    coordinateConvention: 'pixel-xywh-top-left',
    labels: {
      labels: [
        { className: 'car', box: { x: 1, y: 2, width: 3, height: 4 }, attributes: { occluded: 'true' } },
        {
          className: 'roof',
          polygon: [
            { x: 0, y: 0 },
            { x: 5, y: 0 },
            { x: 0, y: 5 },
          ],
        },
      ],
    },
    annotation: { taskType: 'bbox', source: 'consensus', agreement: 0.9, annotators: ['a', 'b'] },
    lineage: {
      batchId: 'b',
      stages: ['ingest', 'annotation'],
      policyVersions: { quality: '0123' },
      rawSha256: 'cd',
    },
    complianceFacts: { consentIds: ['c1'], region: 'EU', hadGps: true, removedMetadata: ['gps'] },
  });

  it('gives a typed view of a curated record', () => {
    const image = decodeCurated(curatedV1.ImageCurated.encode(record).finish());
    expect(image).toMatchObject({
      imageId: 'img_1',
      projectId: 'p',
      split: 'val',
      image: { key: 'cleared/img_1.jpg', sizeBytes: 1234, sha256: 'ab', width: 640, height: 480 },
      labels: [
        { className: 'car', box: { x: 1, y: 2, width: 3, height: 4 }, attributes: { occluded: 'true' } },
        {
          className: 'roof',
          polygon: [
            { x: 0, y: 0 },
            { x: 5, y: 0 },
            { x: 0, y: 5 },
          ],
          attributes: {},
        },
      ],
      annotation: { source: 'consensus', agreement: 0.9, annotators: ['a', 'b'] },
      lineage: { stages: ['ingest', 'annotation'], policyVersions: { quality: '0123' }, rawSha256: 'cd' },
      compliance: {
        consentIds: ['c1'],
        region: 'EU',
        hadGps: true,
        removedMetadata: ['gps'],
        redactions: [],
      },
    });
    expect(image.labels[0]).not.toHaveProperty('polygon');
  });

  it('refuses what is not a complete curated record', () => {
    expect(() => decodeCurated(Buffer.from([0xff, 0xff, 0xff]))).toThrow(CuratedDecodeError);
    const noSplit = curatedV1.ImageCurated.encode({
      ...record,
      split: curatedV1.Split.SPLIT_UNSPECIFIED,
    }).finish();
    expect(() => decodeCurated(noSplit)).toThrow('the record lacks its image id, its output or its split');
  });
});
