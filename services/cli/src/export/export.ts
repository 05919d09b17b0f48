// aperture export: a project's curated images and labels as a COCO, YOLO or JSONL dataset,
// streamed page by page from the annotation-router's REST API (images are written one at a time).
import { matchesWhere, type Where } from './where';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ApiClient } from '../api-client';
import {
  CocoDataset,
  type CuratedImage,
  ExportFormatError,
  fileNameOf,
  jsonlLine,
  type ProjectSchema,
  type Split,
  SPLITS,
  yoloDataYaml,
  yoloLabelLines,
} from './formats';

export type ExportFormat = 'coco' | 'yolo' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['coco', 'yolo', 'jsonl'];

export interface ExportOptions {
  projectId: string;
  format: ExportFormat;
  out: string;
  /** Only these splits (all when empty). */
  splits: Split[];
  /** Only images in these content buckets (where.ts; all when empty). */
  where?: Where;
  pageSize?: number;
}

export interface ExportProgress {
  start(total: number): void;
  /** `scanned` records looked at so far, `written` images exported. */
  update(scanned: number, written: number): void;
  finish(): void;
}

export interface ExportSummary {
  projectId: string;
  format: ExportFormat;
  out: string;
  images: number;
  labels: number;
  bySplit: Record<Split, number>;
  files: string[];
}

interface Page {
  project: ProjectSchema;
  total: number;
  images: CuratedImage[];
  nextCursor: string | null;
}

/**
 * Layouts:
 * - coco: `images/<split>/<image>.<ext>` and `annotations/instances_<split>.json`.
 * - yolo (Ultralytics): `images/<split>/…`, `labels/<split>/<image>.txt`, `data.yaml`; a
 *   classification project: `<split>/<class>/<image>.<ext>` (the classify layout).
 * - jsonl: `images/<split>/…` and `manifest.jsonl`, one line per image.
 */
export async function exportDataset(
  client: Pick<ApiClient, 'getJson' | 'getBytes'>,
  options: ExportOptions,
  progress: ExportProgress,
): Promise<ExportSummary> {
  const out = resolve(options.out);
  const wanted = new Set<Split>(options.splits.length > 0 ? options.splits : SPLITS);
  const base = `/v1/projects/${encodeURIComponent(options.projectId)}/curated`;
  const summary: ExportSummary = {
    projectId: options.projectId,
    format: options.format,
    out,
    images: 0,
    labels: 0,
    bySplit: { train: 0, val: 0, test: 0 },
    files: [],
  };
  let cursor: string | null = '';
  let scanned = 0;
  let coco: Record<Split, CocoDataset> | undefined;
  let manifest: WriteStream | undefined;
  let schema: ProjectSchema | undefined;
  const classify = () =>
    options.format === 'yolo' && schema!.annotated && schema!.taskType === 'classification';

  try {
    while (cursor !== null) {
      const page: Page = await client.getJson<Page>(
        `${base}?limit=${options.pageSize ?? 100}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (!schema) {
        schema = page.project;
        progress.start(page.total);
        await mkdir(out, { recursive: true });
        if (options.format === 'coco')
          coco = {
            train: new CocoDataset(schema),
            val: new CocoDataset(schema),
            test: new CocoDataset(schema),
          };
        if (options.format === 'jsonl') {
          manifest = createWriteStream(join(out, 'manifest.jsonl'));
          summary.files.push('manifest.jsonl');
        }
      }
      for (const image of page.images) {
        scanned += 1;
        if (!wanted.has(image.split) || !matchesWhere(image.content, options.where ?? {})) {
          progress.update(scanned, summary.images);
          continue;
        }
        const name = fileNameOf(image);
        const relative = classify()
          ? join(image.split, image.labels[0]?.className ?? '_unlabelled', name)
          : join('images', image.split, name);
        const bytes = await client.getBytes(`${base}/${encodeURIComponent(image.imageId)}/image`);
        await mkdir(join(out, relative, '..'), { recursive: true });
        await writeFile(join(out, relative), bytes);
        if (options.format === 'coco') coco![image.split].add(image, name);
        if (options.format === 'yolo' && !classify()) {
          const labelPath = join(out, 'labels', image.split, name.replace(/\.[^.]+$/, '.txt'));
          await mkdir(join(labelPath, '..'), { recursive: true });
          const lines = yoloLabelLines(image, schema);
          await writeFile(labelPath, lines.length > 0 ? `${lines.join('\n')}\n` : '');
        }
        if (manifest && !manifest.write(`${jsonlLine(image, relative)}\n`))
          await new Promise<void>((done) => manifest!.once('drain', () => done()));
        summary.images += 1;
        summary.labels += image.labels.length;
        summary.bySplit[image.split] += 1;
        progress.update(scanned, summary.images);
      }
      cursor = page.nextCursor;
    }
  } finally {
    if (manifest)
      await new Promise<void>((done, fail) =>
        manifest!.end((error?: Error | null) => (error ? fail(error) : done())),
      );
  }
  if (coco) {
    await mkdir(join(out, 'annotations'), { recursive: true });
    for (const split of SPLITS) {
      if (!wanted.has(split) || coco[split].size === 0) continue;
      const file = join('annotations', `instances_${split}.json`);
      await writeFile(join(out, file), JSON.stringify(coco[split].toJson(`${options.projectId} ${split}`)));
      summary.files.push(file);
    }
  }
  if (options.format === 'yolo' && schema && !classify()) {
    const splits = SPLITS.filter((split) => wanted.has(split) && summary.bySplit[split] > 0);
    await writeFile(join(out, 'data.yaml'), yoloDataYaml(schema, out, splits));
    summary.files.push('data.yaml');
  }
  progress.finish();
  return summary;
}

export { ExportFormatError };
