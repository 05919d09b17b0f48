// `aperture export --where axis=bucket`: keep only the curated images whose content descriptors
// (measured by compliance, carried on the curated record) fall in the named buckets. Several
// values of one axis (comma-separated or repeated) are alternatives; several axes must all hold.
import { AXES, type Axis, BUCKETS } from '@aperture/diversity';
import { UsageError } from '../commands';

export type Where = Partial<Record<Axis, string[]>>;

export function parseWhere(values: readonly string[]): Where {
  const where: Where = {};
  for (const value of values) {
    const at = value.indexOf('=');
    const axis = value.slice(0, at).trim() as Axis;
    if (at < 0 || !AXES.includes(axis))
      throw new UsageError(
        `--where takes axis=bucket with an axis among ${AXES.join(', ')}, not ${JSON.stringify(value)}`,
      );
    for (const bucket of value
      .slice(at + 1)
      .split(',')
      .map((b) => b.trim())) {
      if (!BUCKETS[axis].includes(bucket))
        throw new UsageError(
          `--where ${axis}= takes ${BUCKETS[axis].join(', ')}, not ${JSON.stringify(bucket)}`,
        );
      where[axis] = [...new Set([...(where[axis] ?? []), bucket])];
    }
  }
  return where;
}

/** Whether an image's buckets (null: no descriptors) meet every axis of `where`. */
export function matchesWhere(content: Record<string, string> | null | undefined, where: Where): boolean {
  return Object.entries(where).every(
    ([axis, buckets]) => content != null && buckets.includes(content[axis] ?? ''),
  );
}
