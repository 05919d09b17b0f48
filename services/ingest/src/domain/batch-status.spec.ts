import { batchCounts, batchState } from './batch-status';

describe('batch state and counts', () => {
  it('is open until closed, then closed while images are processing or uncounted, then complete', () => {
    expect(batchState('open', { processing: 0 })).toBe('open');
    expect(batchState('closed', { processing: 2 })).toBe('closed');
    expect(batchState('closed', { processing: 0 }, false)).toBe('closed');
    expect(batchState('closed', { processing: 0 })).toBe('complete');
  });

  it('assembles counts from a tally, with zeros for statuses not seen and reasons sorted by code', () => {
    const counts = batchCounts({
      uploaded: 4,
      byStatus: { processing: 1, rejected: 3 },
      rejectedByReason: { too_small: 3, corrupt: 1 },
    });
    expect(counts).toEqual({
      uploaded: 4,
      processing: 1,
      pendingAnnotation: 0,
      curated: 0,
      rejected: 3,
      erased: 0,
      rejectedByReason: { corrupt: 1, too_small: 3 },
    });
    expect(Object.keys(counts.rejectedByReason)).toEqual(['corrupt', 'too_small']);
  });
});
