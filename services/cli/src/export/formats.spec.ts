import {
  CocoDataset,
  type CuratedImage,
  ExportFormatError,
  fileNameOf,
  jsonlLine,
  type ProjectSchema,
  yoloDataYaml,
  yoloLabelLines,
} from './formats';

const schema = (taskType: string, extra: Partial<ProjectSchema> = {}): ProjectSchema => ({
  projectId: 'prj_1',
  taskType,
  annotated: true,
  classes: ['car', 'person'],
  keypoints: [],
  ...extra,
});
const image = (labels: CuratedImage['labels'], split: CuratedImage['split'] = 'train'): CuratedImage => ({
  imageId: 'img_1',
  batchId: 'bat_1',
  filename: 'street.jpg',
  split,
  image: {
    key: 'cleared/img_1.jpg',
    contentType: 'image/jpeg',
    sizeBytes: 10,
    sha256: 'ab',
    width: 200,
    height: 100,
  },
  labels,
  annotation: { taskType: 'bbox', source: 'single', agreement: 1, annotators: ['a'], reviewer: '' },
  lineage: { stages: [], policyVersions: {}, rawSha256: '' },
  compliance: { consentIds: [], region: 'EU' },
  curatedAt: '2026-11-24T00:00:00.000Z',
});

describe('export formats', () => {
  it('names files by image id and media type', () => {
    expect(fileNameOf(image([]))).toBe('img_1.jpg');
  });

  it('builds COCO with categories from 1, xywh pixel boxes, polygons and keypoints', () => {
    const coco = new CocoDataset(schema('bbox'));
    coco.add(
      image([
        {
          className: 'person',
          box: { x: 10, y: 20, width: 30, height: 40 },
          attributes: { occluded: 'true' },
        },
      ]),
      'img_1.jpg',
    );
    expect(coco.toJson('d')).toMatchObject({
      images: [{ id: 1, file_name: 'img_1.jpg', width: 200, height: 100, aperture_image_id: 'img_1' }],
      annotations: [
        {
          id: 1,
          image_id: 1,
          category_id: 2,
          bbox: [10, 20, 30, 40],
          area: 1200,
          iscrowd: 0,
          segmentation: [],
          attributes: { occluded: 'true' },
        },
      ],
      categories: [
        { id: 1, name: 'car' },
        { id: 2, name: 'person' },
      ],
    });
    const polygons = new CocoDataset(schema('polygon'));
    polygons.add(
      image([
        {
          className: 'car',
          polygon: [
            { x: 0, y: 0 },
            { x: 10, y: 0 },
            { x: 10, y: 10 },
          ],
          attributes: {},
        },
      ]),
      'a.jpg',
    );
    expect(polygons.toJson('d')).toMatchObject({
      annotations: [{ bbox: [0, 0, 10, 10], area: 50, segmentation: [[0, 0, 10, 0, 10, 10]] }],
    });
    const pose = new CocoDataset(schema('keypoints', { classes: ['face'], keypoints: ['nose', 'eye'] }));
    pose.add(
      image([{ className: 'face', keypoints: [{ name: 'eye', x: 5, y: 6, visible: true }], attributes: {} }]),
      'a.jpg',
    );
    expect(pose.toJson('d')).toMatchObject({
      annotations: [{ keypoints: [0, 0, 0, 5, 6, 2], num_keypoints: 1 }],
      categories: [{ id: 1, name: 'face', keypoints: ['nose', 'eye'], skeleton: [] }],
    });
    expect(() => new CocoDataset(schema('classification'))).toThrow(ExportFormatError);
  });

  it('writes YOLO lines normalised to the image, and data.yaml', () => {
    expect(
      yoloLabelLines(
        image([{ className: 'person', box: { x: 50, y: 25, width: 100, height: 50 }, attributes: {} }]),
        schema('bbox'),
      ),
    ).toEqual(['1 0.5 0.5 0.5 0.5']);
    expect(
      yoloLabelLines(
        image([
          {
            className: 'car',
            polygon: [
              { x: 0, y: 0 },
              { x: 200, y: 0 },
              { x: 100, y: 100 },
            ],
            attributes: {},
          },
        ]),
        schema('polygon'),
      ),
    ).toEqual(['0 0 0 1 0 0.5 1']);
    expect(
      yoloLabelLines(
        image([{ className: 'truck', box: { x: 0, y: 0, width: 1, height: 1 }, attributes: {} }]),
        schema('bbox'),
      ),
    ).toEqual([]);
    expect(yoloDataYaml(schema('bbox'), '/data/out', ['train', 'val'])).toBe(
      [
        '# Written by aperture export for project prj_1 (bbox).',
        'path: "/data/out"',
        'train: images/train',
        'val: images/val',
        'nc: 2',
        'names:',
        '  0: "car"',
        '  1: "person"',
        '',
      ].join('\n'),
    );
    expect(yoloDataYaml(schema('keypoints', { keypoints: ['a', 'b', 'c'] }), '/o', ['train'])).toContain(
      'kpt_shape: [3, 3]',
    );
  });

  it('writes one self-contained JSONL line per image', () => {
    const line = JSON.parse(
      jsonlLine(image([{ className: 'car', attributes: {} }], 'val'), 'images/val/img_1.jpg'),
    ) as Record<string, unknown>;
    expect(line).toMatchObject({
      image_id: 'img_1',
      file: 'images/val/img_1.jpg',
      split: 'val',
      width: 200,
      height: 100,
      sha256: 'ab',
      labels: [{ className: 'car' }],
      coordinate_convention: 'pixel-xywh-top-left',
    });
  });
});
