import { ApiError } from '../errors';
import { newId } from './ids';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, parseImageListQuery, toPage } from './pagination';

describe('parseImageListQuery', () => {
  it('defaults to 50 of any status from the start', () => {
    expect(parseImageListQuery({})).toEqual({ limit: DEFAULT_PAGE_LIMIT });
    expect(parseImageListQuery({ status: '', limit: '', cursor: '' })).toEqual({ limit: 50 });
  });

  it('takes a status, a limit up to 200 and a cursor', () => {
    const cursor = newId('img');
    expect(parseImageListQuery({ status: 'rejected', limit: '200', cursor })).toEqual({
      status: 'rejected',
      limit: MAX_PAGE_LIMIT,
      cursor,
    });
  });

  it('refuses bad parameters with one invalid_request naming each', () => {
    let error: unknown;
    try {
      parseImageListQuery({ status: 'done', limit: '201', cursor: '{"$gt":""}', sort: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('invalid_request');
    expect((error as ApiError).details?.map((detail) => detail.field)).toEqual([
      'status',
      'limit',
      'cursor',
      'sort',
    ]);
  });

  it.each([['0'], ['-1'], ['1.5'], ['ten']])('refuses limit=%s', (limit) => {
    expect(() => parseImageListQuery({ limit })).toThrow(ApiError);
  });

  it('refuses a repeated parameter', () => {
    expect(() => parseImageListQuery({ status: ['curated', 'rejected'] })).toThrow(
      'invalid query parameters',
    );
  });
});

describe('toPage', () => {
  const rows = ['a', 'b', 'c'].map((id) => ({ id }));

  it('gives a cursor when a row beyond the limit came back', () => {
    expect(toPage(rows, 2, (row) => row.id)).toEqual({ items: rows.slice(0, 2), nextCursor: 'b' });
  });

  it('gives no cursor on the last page', () => {
    expect(toPage(rows, 3, (row) => row.id)).toEqual({ items: rows, nextCursor: null });
    expect(toPage([], 3, (row: { id: string }) => row.id)).toEqual({ items: [], nextCursor: null });
  });
});

describe('newId', () => {
  it('makes prefixed ids that sort by creation time', () => {
    const earlier = newId('img', 1_700_000_000_000);
    const later = newId('img', 1_700_000_000_001);
    expect(earlier).toMatch(/^img_[0-9a-z]{21}$/);
    expect(earlier < later).toBe(true);
    expect(newId('img')).not.toBe(newId('img'));
  });
});
