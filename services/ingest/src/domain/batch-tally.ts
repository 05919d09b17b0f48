import type { commonV1 } from '@aperture/contracts';
import { type ImageStatus, listBucketOf } from '@aperture/persistence';

/**
 * A batch's counts, tallied from the status events (topic aperture.image.status.v1) that every
 * record write moving an image carries: counter name → value. Names: `uploaded`, `status:<status>`,
 * `stage:<stage>` (processing images by the last stage done), `reason:<code>` (rejected images by
 * reason code), `bucket:<list bucket>` (uploads per list bucket: listBucketOf).
 */
export type TallyCounters = Record<string, number>;

/** A batch's counts summed over its tally documents. */
export interface BatchTally {
  uploaded: number;
  byStatus: Partial<Record<ImageStatus, number>>;
  /** Images still processing, by the last stage done (`ingest` before any). */
  processingByStage: Record<string, number>;
  rejectedByReason: Record<string, number>;
  /** The list buckets that hold the batch's images, in id order. */
  buckets: string[];
}

/** A counter name part MongoDB accepts as a field name ('.' and a leading '$' are not). */
const part = (value: string) => value.replace(/[.$]/g, '_');

function stateCounters(state: commonV1.ImageState): string[] {
  const keys = [`status:${part(state.status)}`];
  if (state.status === 'processing') keys.push(`stage:${part(state.stage)}`);
  if (state.status === 'rejected') for (const code of state.reasonCodes) keys.push(`reason:${part(code)}`);
  return keys;
}

/** The counter changes of one status event: out of its `from` state (or a new upload), into `to`. */
export function tallyDelta(
  change: Pick<commonV1.ImageStatusChanged, 'imageId' | 'from' | 'to'>,
): TallyCounters {
  const delta: TallyCounters = {};
  const add = (key: string, n: number) => {
    delta[key] = (delta[key] ?? 0) + n;
    if (delta[key] === 0) delete delta[key];
  };
  if (change.from) for (const key of stateCounters(change.from)) add(key, -1);
  else {
    add('uploaded', 1);
    add(`bucket:${listBucketOf(change.imageId)}`, 1);
  }
  if (change.to) for (const key of stateCounters(change.to)) add(key, 1);
  return delta;
}

/** Sums a batch's tally documents (one per partition of the status topic) into its counts. */
export function sumTallies(docs: ReadonlyArray<{ n?: TallyCounters }>): BatchTally {
  const tally: BatchTally = {
    uploaded: 0,
    byStatus: {},
    processingByStage: {},
    rejectedByReason: {},
    buckets: [],
  };
  const buckets = new Set<string>();
  const bump = (map: Record<string, number>, key: string, n: number) => (map[key] = (map[key] ?? 0) + n);
  for (const doc of docs) {
    for (const [key, n] of Object.entries(doc.n ?? {})) {
      const [kind, name = ''] = key.split(':');
      if (kind === 'uploaded') tally.uploaded += n;
      else if (kind === 'status') bump(tally.byStatus, name, n);
      else if (kind === 'stage') bump(tally.processingByStage, name, n);
      else if (kind === 'reason') bump(tally.rejectedByReason, name, n);
      else if (kind === 'bucket' && n > 0) buckets.add(name);
    }
  }
  tally.buckets = [...buckets].sort();
  // States no image is in any more are left out.
  for (const map of [tally.processingByStage, tally.rejectedByReason]) {
    for (const key of Object.keys(map)) if (!(map[key]! > 0)) delete map[key];
  }
  return tally;
}
