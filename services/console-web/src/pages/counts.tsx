import type { Batch } from '../api';

/** A batch's counts: per status, where its moving images are (per stage), and rejections per reason. */
export function Counts({ batch }: { batch: Batch }) {
  const { counts } = batch;
  return (
    <div className="counts">
      <span className="chip">uploaded {counts.uploaded}</span>
      <span className="chip processing">processing {counts.processing}</span>
      {Object.entries(batch.processingByStage).map(([stage, count]) => (
        <span key={stage} className="chip stage" data-stage={stage}>
          at {stage} {count}
        </span>
      ))}
      {counts.pendingAnnotation > 0 && (
        <span className="chip">awaiting annotation {counts.pendingAnnotation}</span>
      )}
      <span className="chip curated">curated {counts.curated}</span>
      <span className="chip rejected">rejected {counts.rejected}</span>
      {Object.entries(counts.rejectedByReason).map(([reason, count]) => (
        <span key={reason} className="chip reason" data-reason={reason}>
          {reason} {count}
        </span>
      ))}
    </div>
  );
}
