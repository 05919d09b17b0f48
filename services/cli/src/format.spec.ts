import type { Batch } from './api-client';
import { formatBytes, formatRate, renderBatch, renderSummary, summarize } from './format';
import type { UploadResult } from './upload';

const batch: Batch = {
  batchId: 'bat_1',
  projectId: 'prj_1',
  state: 'closed',
  counts: {
    uploaded: 5,
    processing: 2,
    pendingAnnotation: 0,
    curated: 1,
    rejected: 2,
    rejectedByReason: { too_small: 1, blurry: 1 },
  },
};

const result: UploadResult = {
  batchId: 'bat_1',
  batch,
  files: 7,
  bytes: 3 * 1024 * 1024,
  accepted: 5,
  refused: [
    { path: 'b.gif', status: 413, code: 'too_large', message: 'over 50 MiB' },
    { path: 'a.txt', status: 415, code: 'unsupported_media_type', message: 'not an image' },
  ],
  followed: true,
  completed: false,
  timedOut: true,
};

describe('format', () => {
  it('summarizes counts, reasons sorted by name, refusals by code', () => {
    expect(summarize(result)).toMatchObject({
      state: 'closed',
      timedOut: true,
      rejectedByReason: { blurry: 1, too_small: 1 },
      refusedAtUploadByCode: { too_large: 1, unsupported_media_type: 1 },
      refusedFiles: [{ path: 'a.txt' }, { path: 'b.gif' }],
    });
    expect(Object.keys(summarize(result).rejectedByReason)).toEqual(['blurry', 'too_small']);
  });

  it('shows images still processing when it timed out', () => {
    const text = renderSummary(summarize(result));
    expect(text).toContain('state              closed (timed out waiting for completion)');
    expect(text).toContain('still processing   2');
    expect(text).toContain('files              7 (3.0 MiB)');
    expect(text).toContain('  a.txt: [415 unsupported_media_type] not an image');
  });

  it('formats sizes and rates', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MiB');
    expect(formatRate(2048, 2000)).toBe('1.0 KiB/s');
    expect(formatRate(10, 0)).toBe('-');
  });
});

describe('renderBatch', () => {
  const batch: Batch = {
    batchId: 'bat_1',
    projectId: 'prj_1',
    state: 'complete',
    counts: {
      uploaded: 4,
      processing: 0,
      pendingAnnotation: 0,
      curated: 4,
      rejected: 0,
      rejectedByReason: {},
    },
  };

  it('says which content targets the batch holds', () => {
    const text = renderBatch({
      ...batch,
      content: {
        images: 4,
        targets: [
          {
            target: 'minBucketShare timeOfDay:night',
            required: 0.2,
            actual: 0.25,
            met: true,
            message: '25 % of the images are night (timeOfDay); at least 20 % asked',
          },
          {
            target: 'minBatchNovelty',
            required: 0.3,
            actual: 0.1,
            met: false,
            message: "the batch's mean novelty is 0.1; at least 0.3 asked",
          },
        ],
      },
    });
    expect(text).toContain(
      [
        'content counted    4',
        'content targets    1 of 2 held',
        '  held     25 % of the images are night (timeOfDay); at least 20 % asked',
        "  NOT held the batch's mean novelty is 0.1; at least 0.3 asked",
        '',
      ].join('\n'),
    );
  });

  it('prints no content lines for a batch status without them', () => {
    expect(renderBatch(batch)).not.toContain('content');
  });
});
