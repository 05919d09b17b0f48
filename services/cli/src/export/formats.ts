// Dataset formats written by `aperture export`: pure functions from curated records to files.
// Coordinates in the records: pixels of the image, origin top-left, x right, y down (xywh boxes).

import type { Box, Label, Split } from '@aperture/curated-consumer';

export type { Box, Label, Split } from '@aperture/curated-consumer';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** One curated image as the annotation-router's REST API lists it. */
export interface CuratedImage {
  imageId: string;
  batchId: string;
  filename: string;
  split: Split;
  image: {
    key: string;
    contentType: string;
    sizeBytes: number;
    sha256: string;
    width: number;
    height: number;
  };
  labels: Label[];
  annotation: { taskType: string; source: string; agreement: number; annotators: string[]; reviewer: string };
  lineage: { stages: string[]; policyVersions: Record<string, string>; rawSha256: string };
  compliance: { consentIds: string[]; region: string };
  /** One content bucket per descriptor axis; null (or absent, from an older server) without descriptors. */
  content?: Record<string, string> | null;
  curatedAt: string;
}

export interface ProjectSchema {
  projectId: string;
  taskType: string;
  annotated: boolean;
  classes: string[];
  keypoints: string[];
}

export class ExportFormatError extends Error {
  override readonly name = 'ExportFormatError';
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/avif': 'avif',
};

/** The exported file name of an image: its id and the extension of its media type. */
export function fileNameOf(image: Pick<CuratedImage, 'imageId' | 'image'>): string {
  return `${image.imageId}.${EXTENSIONS[image.image.contentType] ?? 'bin'}`;
}

const round = (value: number, digits = 6) => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

function boundsOf(points: ReadonlyArray<{ x: number; y: number }>): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const { x, y } of points) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function polygonArea(points: ReadonlyArray<{ x: number; y: number }>): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    twice += a.x * b.y - b.x * a.y;
  }
  return twice < 0 ? -twice / 2 : twice / 2;
}

/** The box of a label: its own, its polygon's bounds, or its visible keypoints' bounds. */
export function labelBox(label: Label): Box | undefined {
  if (label.box) return label.box;
  if (label.polygon && label.polygon.length > 0) return boundsOf(label.polygon);
  const visible = (label.keypoints ?? []).filter((point) => point.visible);
  return visible.length > 0 ? boundsOf(visible) : undefined;
}

/**
 * A COCO object-detection dataset of one split (instances_<split>.json): categories numbered from 1
 * in the schema's order, bbox [x, y, width, height] in pixels, polygons as `segmentation`, keypoint
 * labels as COCO keypoints (x, y, v with v = 2 visible, 0 not given or hidden).
 */
export class CocoDataset {
  private readonly images: unknown[] = [];
  private readonly annotations: unknown[] = [];
  private nextAnnotationId = 1;

  constructor(private readonly schema: ProjectSchema) {
    if (schema.annotated && schema.taskType === 'classification')
      throw new ExportFormatError(
        'COCO holds objects (boxes, polygons, keypoints); a classification project exports as jsonl or yolo',
      );
  }

  add(image: CuratedImage, fileName: string): void {
    const imageId = this.images.length + 1;
    this.images.push({
      id: imageId,
      file_name: fileName,
      width: image.image.width,
      height: image.image.height,
      aperture_image_id: image.imageId,
    });
    for (const label of image.labels) {
      const categoryId = this.schema.classes.indexOf(label.className) + 1;
      const box = labelBox(label);
      if (categoryId === 0 || !box) continue;
      const annotation: Record<string, unknown> = {
        id: this.nextAnnotationId++,
        image_id: imageId,
        category_id: categoryId,
        bbox: [round(box.x), round(box.y), round(box.width), round(box.height)],
        area: round(label.polygon ? polygonArea(label.polygon) : box.width * box.height),
        iscrowd: 0,
        segmentation: label.polygon ? [label.polygon.flatMap(({ x, y }) => [round(x), round(y)])] : [],
      };
      if (this.schema.taskType === 'keypoints') {
        const points = this.schema.keypoints.map((name) =>
          label.keypoints?.find((point) => point.name === name),
        );
        annotation['keypoints'] = points.flatMap((point) =>
          point?.visible ? [round(point.x), round(point.y), 2] : [0, 0, 0],
        );
        annotation['num_keypoints'] = points.filter((point) => point?.visible).length;
      }
      if (label.trackId !== undefined) annotation['track_id'] = label.trackId;
      if (Object.keys(label.attributes).length > 0) annotation['attributes'] = label.attributes;
      this.annotations.push(annotation);
    }
  }

  get size(): number {
    return this.images.length;
  }

  toJson(description: string): unknown {
    return {
      info: { description, version: '1.0', date_created: new Date().toISOString() },
      licenses: [],
      images: this.images,
      annotations: this.annotations,
      categories: this.schema.classes.map((name, index) => ({
        id: index + 1,
        name,
        supercategory: 'object',
        ...(this.schema.taskType === 'keypoints' && { keypoints: this.schema.keypoints, skeleton: [] }),
      })),
    };
  }
}

/**
 * The lines of an Ultralytics YOLO label file (labels/<split>/<name>.txt), normalised to 0..1:
 * detection `class cx cy w h`; polygons as segments `class x1 y1 x2 y2 ...`; keypoints as pose
 * `class cx cy w h x1 y1 v1 ...` (v 2 visible, 0 absent). Class indexes follow the schema's order.
 */
export function yoloLabelLines(image: CuratedImage, schema: ProjectSchema): string[] {
  const { width: w, height: h } = image.image;
  const n = (value: number) => round(value, 6).toString();
  const lines: string[] = [];
  for (const label of image.labels) {
    const index = schema.classes.indexOf(label.className);
    const box = labelBox(label);
    if (index < 0 || !box) continue;
    if (schema.taskType === 'polygon' && label.polygon) {
      lines.push([index, ...label.polygon.flatMap(({ x, y }) => [n(x / w), n(y / h)])].join(' '));
      continue;
    }
    const parts = [
      index,
      n((box.x + box.width / 2) / w),
      n((box.y + box.height / 2) / h),
      n(box.width / w),
      n(box.height / h),
    ];
    if (schema.taskType === 'keypoints') {
      for (const name of schema.keypoints) {
        const point = label.keypoints?.find((candidate) => candidate.name === name);
        parts.push(...(point?.visible ? [n(point.x / w), n(point.y / h), '2'] : ['0', '0', '0']));
      }
    }
    lines.push(parts.join(' '));
  }
  return lines;
}

/** Ultralytics' data.yaml for a detection, segmentation or pose dataset written under `root`. */
export function yoloDataYaml(schema: ProjectSchema, root: string, splits: readonly Split[]): string {
  const quote = (text: string) => JSON.stringify(text);
  return [
    `# Written by aperture export for project ${schema.projectId} (${schema.taskType}).`,
    `path: ${quote(root)}`,
    ...splits.map((split) => `${split}: images/${split}`),
    ...(schema.taskType === 'keypoints' ? [`kpt_shape: [${schema.keypoints.length}, 3]`] : []),
    `nc: ${schema.classes.length}`,
    'names:',
    ...schema.classes.map((name, index) => `  ${index}: ${quote(name)}`),
    '',
  ].join('\n');
}

/** One line of the JSONL manifest: everything about an image, its file path relative to the manifest. */
export function jsonlLine(image: CuratedImage, path: string): string {
  return JSON.stringify({
    image_id: image.imageId,
    file: path,
    split: image.split,
    width: image.image.width,
    height: image.image.height,
    sha256: image.image.sha256,
    source_filename: image.filename,
    batch_id: image.batchId,
    labels: image.labels,
    coordinate_convention: 'pixel-xywh-top-left',
    annotation: image.annotation,
    lineage: image.lineage,
    compliance: image.compliance,
    curated_at: image.curatedAt,
  });
}
