import type { commonV1 } from '@aperture/contracts';
import { listBucketOf } from '@aperture/persistence';
import { sumTallies, tallyDelta, type TallyCounters } from './batch-tally';

const state = (status: string, stage: string, reasonCodes: string[] = []): commonV1.ImageState => ({
  status,
  stage,
  reasonCodes,
});

/** One tally document holding the sum of the deltas, as the consumer's $inc leaves it. */
const doc = (...deltas: TallyCounters[]) => {
  const n: TallyCounters = {};
  for (const delta of deltas) for (const [key, v] of Object.entries(delta)) n[key] = (n[key] ?? 0) + v;
  return { n };
};

const id = 'img_0mwu5l0r7xu2036asuwwr';

describe('batch tallies', () => {
  const upload = tallyDelta({ imageId: id, from: undefined, to: state('processing', 'ingest') });
  const quality = tallyDelta({
    imageId: id,
    from: state('processing', 'ingest'),
    to: state('processing', 'quality'),
  });
  const rejected = tallyDelta({
    imageId: id,
    from: state('processing', 'ingest'),
    to: state('rejected', 'quality', ['blurry', 'too_small']),
  });
  const held = tallyDelta({
    imageId: id,
    from: state('processing', 'quality'),
    to: state('pending_annotation', 'annotation-router'),
  });
  const curated = tallyDelta({
    imageId: id,
    from: state('pending_annotation', 'annotation-router'),
    to: state('curated', 'annotation'),
  });

  it('counts an upload, its stage moves, a hold, a curation and a rejection, summed over documents', () => {
    // Three images, in two partitions' documents: a's and b's in one, c's in the other.
    const mid = sumTallies([doc(upload, quality, upload, rejected), doc(upload, quality)]);
    expect(mid).toEqual({
      uploaded: 3,
      byStatus: { processing: 2, rejected: 1 },
      processingByStage: { quality: 2 },
      rejectedByReason: { blurry: 1, too_small: 1 },
      buckets: ['0mwu5l0'],
    });
    const end = sumTallies([
      doc(upload, quality, held, curated, upload, rejected),
      doc(upload, quality, held),
    ]);
    expect(end).toEqual({
      uploaded: 3,
      byStatus: { processing: 0, pending_annotation: 1, curated: 1, rejected: 1 },
      processingByStage: {},
      rejectedByReason: { blurry: 1, too_small: 1 },
      buckets: ['0mwu5l0'],
    });
  });

  it('moves an erased image out of the status (and reasons) it had', () => {
    const erased = tallyDelta({
      imageId: id,
      from: state('rejected', 'quality', ['blurry', 'too_small']),
      to: state('erased', 'erasure'),
    });
    expect(sumTallies([doc(upload, rejected, erased)])).toEqual({
      uploaded: 1,
      byStatus: { processing: 0, rejected: 0, erased: 1 },
      processingByStage: {},
      rejectedByReason: {},
      buckets: ['0mwu5l0'],
    });
  });

  it('lists the buckets of the uploads in id order (ingest ids start with their time)', () => {
    const other = tallyDelta({
      imageId: 'img_0mwu4zzaaaaaaaaaaaaaa',
      from: undefined,
      to: state('processing', 'ingest'),
    });
    expect(sumTallies([doc(upload), doc(other)]).buckets).toEqual(['0mwu4zz', '0mwu5l0']);
    expect(listBucketOf('img_1')).toBe('');
  });

  it('leaves no counter for a move that changes nothing counted, and keeps field names valid', () => {
    const same = state('pending_annotation', 'annotation');
    expect(tallyDelta({ imageId: id, from: same, to: same })).toEqual({});
    const odd = tallyDelta({
      imageId: id,
      from: state('processing', 'a.b'),
      to: state('rejected', 'x', ['$bad.code']),
    });
    expect(Object.keys(odd).every((key) => !key.includes('.') && !key.includes('$'))).toBe(true);
  });
});
