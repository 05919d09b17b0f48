import type { commonV1 } from '@aperture/contracts';
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

describe('batch tallies', () => {
  const upload = tallyDelta({ from: undefined, to: state('processing', 'ingest') });
  const quality = tallyDelta({ from: state('processing', 'ingest'), to: state('processing', 'quality') });
  const rejected = tallyDelta({
    from: state('processing', 'ingest'),
    to: state('rejected', 'quality', ['blurry', 'too_small']),
  });
  const held = tallyDelta({
    from: state('processing', 'quality'),
    to: state('pending_annotation', 'annotation-router'),
  });
  const curated = tallyDelta({
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
    });
  });

  it('moves an erased image out of the status (and reasons) it had', () => {
    const erased = tallyDelta({
      from: state('rejected', 'quality', ['blurry', 'too_small']),
      to: state('erased', 'erasure'),
    });
    expect(sumTallies([doc(upload, rejected, erased)])).toEqual({
      uploaded: 1,
      byStatus: { processing: 0, rejected: 0, erased: 1 },
      processingByStage: {},
      rejectedByReason: {},
    });
  });

  it('leaves no counter for a move that changes nothing counted, and keeps field names valid', () => {
    const same = state('pending_annotation', 'annotation');
    expect(tallyDelta({ from: same, to: same })).toEqual({});
    const odd = tallyDelta({ from: state('processing', 'a.b'), to: state('rejected', 'x', ['$bad.code']) });
    expect(Object.keys(odd).every((key) => !key.includes('.') && !key.includes('$'))).toBe(true);
  });
});
