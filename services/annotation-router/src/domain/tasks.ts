export const DEFAULT_LEASE_SECONDS = 300;
export const MAX_LEASE_SECONDS = 3600;
export const MAX_RESULT_BYTES = 64 * 1024;

/** When a lease taken at `now` ends: 0 means the default (300 s); longer than an hour is capped. */
export function leaseExpiry(now: Date, leaseSeconds: number): Date {
  const seconds = leaseSeconds === 0 ? DEFAULT_LEASE_SECONDS : Math.min(leaseSeconds, MAX_LEASE_SECONDS);
  return new Date(now.getTime() + seconds * 1000);
}

/** An annotation result must be a JSON object of at most 64 KiB; returns it re-serialised, or the problem. */
export function parseResultJson(resultJson: string): { json: string } | { error: string } {
  if (Buffer.byteLength(resultJson) > MAX_RESULT_BYTES)
    return { error: `result_json is larger than ${MAX_RESULT_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(resultJson);
  } catch {
    return { error: 'result_json is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'result_json must be a JSON object, for example {"class":"shelf"}' };
  }
  return { json: JSON.stringify(value) };
}

export interface TaskState {
  state: 'pending' | 'leased' | 'done';
  annotatorId: string;
}

/** Why a submission is refused: the task has another annotator's result, or is not this annotator's lease. */
export type SubmitRefusal = { code: 'conflict' | 'failed_precondition'; message: string };

/**
 * Whether `annotatorId` may submit a result for the task, given who stored its result (if anyone):
 * a result already stored by the same annotator is 'already_done' (a retried call: answered again,
 * nothing changes), by another annotator a conflict; otherwise the annotator must hold the lease (a
 * lease that ran out still counts until someone else takes the task).
 */
export function submitCheck(
  task: TaskState,
  resultBy: string | undefined,
  annotatorId: string,
): 'ok' | 'already_done' | SubmitRefusal {
  if (resultBy !== undefined)
    return resultBy === annotatorId
      ? 'already_done'
      : { code: 'conflict', message: 'the task already has a result from another annotator' };
  if (task.state !== 'leased' || task.annotatorId !== annotatorId)
    return { code: 'failed_precondition', message: 'the task is not leased by this annotator' };
  return 'ok';
}

/**
 * The pools that may see an image: those of the routing rule for its declared region when there is
 * one (region codes compared case-insensitively; "US-IL" also matches a rule for "US"), else the
 * project's pools.
 */
export function poolsFor(
  policy: { pools: readonly string[]; routing: ReadonlyArray<{ region: string; pools: readonly string[] }> },
  region: string,
): string[] {
  const wanted = region.toUpperCase();
  const exact = policy.routing.find((rule) => rule.region.toUpperCase() === wanted);
  const parent = policy.routing.find((rule) => wanted.startsWith(`${rule.region.toUpperCase()}-`));
  return [...(exact ?? parent ?? policy).pools];
}

/**
 * Whether an annotator's lease number `leaseIndex` (0-based, counted per project) should be a gold
 * task: spread evenly, so that after n leases about n × ratio were gold (the first at 1/ratio).
 */
export function goldDue(leaseIndex: number, ratio: number): boolean {
  if (ratio <= 0) return false;
  return Math.floor((leaseIndex + 1) * ratio + 1e-9) > Math.floor(leaseIndex * ratio + 1e-9);
}
