import type { ImageStatus } from '@aperture/persistence';
import { ApiError, type ApiErrorDetail } from '../errors';

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;
export const IMAGE_STATUSES: readonly ImageStatus[] = [
  'processing',
  'pending_annotation',
  'curated',
  'rejected',
  'erased',
];

export interface ImageListQuery {
  status?: ImageStatus;
  limit: number;
  /** The last image id of the previous page; the next page starts after it. */
  cursor?: string;
}

/** Validates `?status=&limit=&cursor=`; throws invalid_request naming every bad parameter. */
export function parseImageListQuery(query: Record<string, unknown>): ImageListQuery {
  const errors: ApiErrorDetail[] = [];
  const result: ImageListQuery = { limit: DEFAULT_PAGE_LIMIT };
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || typeof value === 'string') return value;
    errors.push({ field: name, message: 'must be given once' });
    return undefined;
  };
  const status = single('status');
  if (status !== undefined && status !== '') {
    if ((IMAGE_STATUSES as readonly string[]).includes(status)) result.status = status as ImageStatus;
    else errors.push({ field: 'status', message: `must be one of ${IMAGE_STATUSES.join(', ')}` });
  }
  const limit = single('limit');
  if (limit !== undefined && limit !== '') {
    const parsed = /^\d{1,6}$/.test(limit) ? Number(limit) : NaN;
    if (Number.isInteger(parsed) && parsed >= 1 && parsed <= MAX_PAGE_LIMIT) result.limit = parsed;
    else errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_LIMIT}` });
  }
  const cursor = single('cursor');
  if (cursor !== undefined && cursor !== '') {
    if (/^[a-z]{3}_[a-z0-9]{1,64}$/.test(cursor)) result.cursor = cursor;
    else errors.push({ field: 'cursor', message: 'is not a cursor returned by this API' });
  }
  for (const key of Object.keys(query)) {
    if (!['status', 'limit', 'cursor'].includes(key))
      errors.push({ field: key, message: 'is not a known parameter' });
  }
  if (errors.length > 0) throw ApiError.invalid('invalid query parameters', errors);
  return result;
}

/**
 * One page from `rows` fetched with `limit + 1`: the extra row only says there is more. The next
 * cursor is the id of the page's last item, or null on the last page.
 */
export function toPage<T>(
  rows: T[],
  limit: number,
  idOf: (row: T) => string,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? idOf(last) : null };
}
