import { batchCounts, batchState } from './batch-status';

describe('batch state and counts', () => {
  it('is open until closed, then closed while images are processing, then complete', () => {
    expect(batchState('open', { processing: 0 })).toBe('open');
    expect(batchState('closed', { processing: 2 })).toBe('closed');
    expect(batchState('closed', { processing: 0 })).toBe('complete');
  });

  it('assembles counts, with zeros for statuses not seen and reasons merged by code', () => {
    expect(
      batchCounts({ processing: 1, rejected: 3 }, 4, [
        { code: 'too_small', count: 2 },
        { code: 'corrupt', count: 1 },
        { code: 'too_small', count: 1 },
      ]),
    ).toEqual({
      uploaded: 4,
      processing: 1,
      pendingAnnotation: 0,
      curated: 0,
      rejected: 3,
      erased: 0,
      rejectedByReason: { corrupt: 1, too_small: 3 },
    });
  });
});
