import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportDataset, type ExportProgress } from './export';
import type { CuratedImage } from './formats';

const curated = (imageId: string, split: CuratedImage['split']): CuratedImage => ({
  imageId,
  batchId: 'bat_1',
  filename: `${imageId}.jpg`,
  split,
  image: {
    key: `k/${imageId}`,
    contentType: 'image/jpeg',
    sizeBytes: 3,
    sha256: 'ab',
    width: 100,
    height: 50,
  },
  labels: [{ className: 'car', box: { x: 10, y: 10, width: 20, height: 10 }, attributes: {} }],
  annotation: { taskType: 'bbox', source: 'single', agreement: 1, annotators: ['a'], reviewer: '' },
  lineage: { stages: [], policyVersions: {}, rawSha256: '' },
  compliance: { consentIds: [], region: '' },
  curatedAt: '2026-11-24T00:00:00.000Z',
});

describe('exportDataset', () => {
  const project = { projectId: 'prj_1', taskType: 'bbox', annotated: true, classes: ['car'], keypoints: [] };
  const pages = [
    { project, total: 3, images: [curated('img_a', 'train'), curated('img_b', 'val')], nextCursor: 'img_b' },
    { project, total: 3, images: [curated('img_c', 'test')], nextCursor: null },
  ];
  const requested: string[] = [];
  const client = {
    getJson: <T>(path: string) => {
      requested.push(path);
      return Promise.resolve((path.includes('cursor=img_b') ? pages[1] : pages[0]) as T);
    },
    getBytes: (path: string) => {
      requested.push(path);
      return Promise.resolve(Buffer.from('jpg'));
    },
  };
  const updates: Array<[number, number]> = [];
  const progress: ExportProgress = {
    start: () => undefined,
    update: (scanned, written) => void updates.push([scanned, written]),
    finish: () => undefined,
  };
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'export-'));
    requested.length = 0;
    updates.length = 0;
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('streams every page to the Ultralytics YOLO layout', async () => {
    const summary = await exportDataset(
      client,
      { projectId: 'prj_1', format: 'yolo', out, splits: [] },
      progress,
    );
    expect(summary).toMatchObject({ images: 3, labels: 3, bySplit: { train: 1, val: 1, test: 1 } });
    expect(readdirSync(join(out, 'images', 'train'))).toEqual(['img_a.jpg']);
    expect(readFileSync(join(out, 'labels', 'val', 'img_b.txt'), 'utf8')).toBe('0 0.2 0.3 0.2 0.2\n');
    expect(readFileSync(join(out, 'data.yaml'), 'utf8')).toContain('test: images/test');
    expect(requested).toContain('/v1/projects/prj_1/curated?limit=100&cursor=img_b');
    expect(updates.at(-1)).toEqual([3, 3]);
  });

  it('writes COCO per split and keeps only the splits asked for', async () => {
    const summary = await exportDataset(
      client,
      { projectId: 'prj_1', format: 'coco', out, splits: ['train', 'test'] },
      progress,
    );
    expect(summary.files).toEqual(['annotations/instances_train.json', 'annotations/instances_test.json']);
    expect(readdirSync(join(out, 'images'))).toEqual(['test', 'train']);
    const train = JSON.parse(readFileSync(join(out, 'annotations', 'instances_train.json'), 'utf8')) as {
      images: unknown[];
    };
    expect(train.images).toEqual([expect.objectContaining({ file_name: 'img_a.jpg' })]);
    expect(updates.at(-1)).toEqual([3, 2]);
  });

  it('writes a JSONL manifest', async () => {
    await exportDataset(client, { projectId: 'prj_1', format: 'jsonl', out, splits: [] }, progress);
    const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { file: string }).file)).toEqual([
      'images/train/img_a.jpg',
      'images/val/img_b.jpg',
      'images/test/img_c.jpg',
    ]);
  });
});
