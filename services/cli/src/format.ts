// What the CLI prints: the summary of an upload (as text or as one JSON object) and a batch's status.
import type { Batch } from './api-client';
import type { Refusal, UploadResult } from './upload';

/** The object `aperture upload --json` prints. */
export interface UploadSummary {
  batchId: string;
  projectId: string;
  state: Batch['state'];
  /** The batch reached state "complete". */
  completed: boolean;
  /** It was followed and did not complete before --timeout. */
  timedOut: boolean;
  /** Files found on disk and their total size. */
  files: number;
  bytes: number;
  /** Images the batch holds (the API's count), i.e. files accepted at upload. */
  uploaded: number;
  processing: number;
  pendingAnnotation: number;
  curated: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Files the API refused at upload (4xx), by error code, and each of them. */
  refusedAtUpload: number;
  refusedAtUploadByCode: Record<string, number>;
  refusedFiles: Refusal[];
}

export function summarize(result: UploadResult): UploadSummary {
  const { batch } = result;
  const counts = batch.counts;
  return {
    batchId: result.batchId,
    projectId: batch.projectId,
    state: batch.state,
    completed: result.completed,
    timedOut: result.timedOut,
    files: result.files,
    bytes: result.bytes,
    uploaded: counts?.uploaded ?? result.accepted,
    processing: counts?.processing ?? 0,
    pendingAnnotation: counts?.pendingAnnotation ?? 0,
    curated: counts?.curated ?? 0,
    rejected: counts?.rejected ?? 0,
    rejectedByReason: sortedRecord(counts?.rejectedByReason ?? {}),
    refusedAtUpload: result.refused.length,
    refusedAtUploadByCode: countBy(result.refused, (refusal) => refusal.code),
    refusedFiles: [...result.refused].sort((a, b) => a.path.localeCompare(b.path)),
  };
}

export function renderSummary(summary: UploadSummary): string {
  const lines = [
    `batch              ${summary.batchId} (project ${summary.projectId})`,
    `state              ${summary.state}${summary.timedOut ? ' (timed out waiting for completion)' : ''}`,
    `files              ${summary.files} (${formatBytes(summary.bytes)})`,
    `uploaded           ${summary.uploaded}`,
    `curated            ${summary.curated}`,
    `rejected           ${summary.rejected}`,
    ...table(summary.rejectedByReason, '  '),
    `pending annotation ${summary.pendingAnnotation}`,
  ];
  if (summary.processing > 0) lines.push(`still processing   ${summary.processing}`);
  lines.push(`refused at upload  ${summary.refusedAtUpload}`, ...table(summary.refusedAtUploadByCode, '  '));
  for (const refusal of summary.refusedFiles) {
    lines.push(`  ${refusal.path}: ${describeRefusal(refusal)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderBatch(batch: Batch): string {
  const counts = batch.counts;
  const lines = [
    `batch              ${batch.batchId}`,
    `project            ${batch.projectId}`,
    `state              ${batch.state}`,
  ];
  if (batch.createdAt) lines.push(`created            ${batch.createdAt}`);
  if (batch.closedAt) lines.push(`closed             ${batch.closedAt}`);
  const declarations = batch.declarations ?? {};
  if (declarations.region) lines.push(`region             ${declarations.region}`);
  if (declarations.consentIds?.length) lines.push(`consents           ${declarations.consentIds.join(', ')}`);
  lines.push(
    `uploaded           ${counts?.uploaded ?? 0}`,
    `processing         ${counts?.processing ?? 0}`,
    `pending annotation ${counts?.pendingAnnotation ?? 0}`,
    `curated            ${counts?.curated ?? 0}`,
    `rejected           ${counts?.rejected ?? 0}`,
    ...table(sortedRecord(counts?.rejectedByReason ?? {}), '  '),
  );
  if (batch.content) {
    const { images, targets } = batch.content;
    const held = targets.filter((check) => check.met).length;
    lines.push(`content counted    ${images}`);
    if (targets.length > 0) lines.push(`content targets    ${held} of ${targets.length} held`);
    for (const check of targets) lines.push(`  ${check.met ? 'held    ' : 'NOT held'} ${check.message}`);
  }
  return `${lines.join('\n')}\n`;
}

export function describeRefusal(refusal: Refusal): string {
  const status = refusal.status === undefined ? '' : `${refusal.status} `;
  return `[${status}${refusal.code}] ${refusal.message}`;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatRate(bytes: number, elapsedMs: number): string {
  return elapsedMs <= 0 ? '-' : `${formatBytes(Math.round((bytes * 1000) / elapsedMs))}/s`;
}

function table(record: Record<string, number>, indent: string): string[] {
  const entries = Object.entries(record);
  const width = Math.max(0, ...entries.map(([key]) => key.length));
  return entries.map(([key, n]) => `${indent}${key.padEnd(width)}  ${n}`);
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return sortedRecord(counts);
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
