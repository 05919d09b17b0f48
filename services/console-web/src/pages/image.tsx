import { type AuditEntry, type ImageDetail, imageUrl } from '../api';
import { useFetch } from '../hooks';
import { privacyOverlay } from '../privacy-overlay';
import { hrefOf } from '../routes';

const format = (value: number | null) =>
  value === null ? '—' : Number.isInteger(value) ? String(value) : value.toFixed(3);

/** One image: before/after, why it was decided, where its bytes came from, and its audit trail. */
export function ImagePage({ imageId }: { imageId: string }) {
  const { data: image, error } = useFetch<ImageDetail>(`/console/api/images/${encodeURIComponent(imageId)}`);
  const audit = useFetch<{ entries: AuditEntry[] }>(
    `/console/api/images/${encodeURIComponent(imageId)}/audit`,
  );
  if (error) return <p className="error">{error.message}</p>;
  if (!image) return <p className="muted">Loading…</p>;
  const after = image.lineage.cleared ?? image.lineage.derivative;
  const overlay = privacyOverlay(image.stages);

  return (
    <section className="image-page">
      <p>
        <a href={hrefOf({ page: 'batch', batchId: image.batchId })}>← batch {image.batchId}</a>
      </p>
      <h1>{image.filename}</h1>
      <p>
        <span className={`status ${image.status}`} data-testid="image-status">
          {image.status}
        </span>{' '}
        at stage {image.stage}
      </p>
      {image.reasons.length > 0 && (
        <ul className="reasons" data-testid="reasons">
          {image.reasons.map((reason) => (
            <li key={reason.code}>
              <code>{reason.code}</code> {reason.message}
            </li>
          ))}
        </ul>
      )}

      <div className="before-after">
        <figure>
          <figcaption>Before (raw upload, {image.raw.contentType})</figcaption>
          {image.canSeeRaw ? (
            <img src={imageUrl(image.imageId, 'raw')} alt={`raw ${image.filename}`} />
          ) : (
            <p className="muted" data-testid="raw-hidden">
              Raw uploads are not shown to annotators.
            </p>
          )}
        </figure>
        <figure>
          <figcaption>After ({image.lineage.cleared ? 'cleared by compliance' : 'standardized'})</figcaption>
          {after ? (
            <div className="overlaid">
              <img src={imageUrl(image.imageId, 'after')} alt={`derivative ${image.filename}`} />
              {overlay && (
                // The compliance stage's boxes over the image, in the derivative's pixels.
                <svg
                  viewBox={`0 0 ${overlay.width} ${overlay.height}`}
                  preserveAspectRatio="none"
                  data-testid="privacy-boxes"
                >
                  {overlay.boxes.map((box, index) => (
                    <g key={index} className={`privacy-box ${box.kind}`}>
                      <rect x={box.x} y={box.y} width={box.width} height={box.height} />
                      <text x={box.x} y={Math.max(12, box.y - 3)}>
                        {box.kind} {box.score.toFixed(2)}
                      </text>
                    </g>
                  ))}
                </svg>
              )}
            </div>
          ) : (
            <p className="muted">No derivative: the image did not reach the standardize stage.</p>
          )}
        </figure>
      </div>

      {overlay && (
        <p data-testid="privacy-summary">
          {overlay.boxes.filter((b) => b.kind === 'face').length} face(s) by{' '}
          <code>{overlay.faceModel || '—'}</code>, {overlay.boxes.filter((b) => b.kind === 'plate').length}{' '}
          licence plate(s) by <code>{overlay.plateModel || 'plate detection off'}</code>; boxes drawn on the
          image
          {overlay.boxes.some((b) => b.redacted) ? ' (redacted in it)' : ''}.
        </p>
      )}

      <h2>Quality metrics and the thresholds that decided</h2>
      <table className="grid" data-testid="checks">
        <thead>
          <tr>
            <th>Check</th>
            <th>Metric</th>
            <th>Value</th>
            <th>Rule</th>
            <th>Verdict</th>
          </tr>
        </thead>
        <tbody>
          {image.checks.map((check) => (
            <tr key={`${check.reason}/${check.metric}`} className={check.passed === false ? 'failed' : ''}>
              <td>{check.reason}</td>
              <td>{check.metric}</td>
              <td>{format(check.value)}</td>
              <td>
                {check.bound === 'min' ? '≥' : '≤'} {check.threshold}{' '}
                <span className="muted">({check.setting})</span>
              </td>
              <td>{check.passed === null ? 'not measured' : check.passed ? 'pass' : 'fail'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {image.duplicateOf && (
        <p data-testid="duplicate-of">
          Duplicate of <a href={hrefOf({ page: 'image', imageId: image.duplicateOf })}>{image.duplicateOf}</a>
        </p>
      )}

      <h2>Lineage</h2>
      <dl className="lineage">
        <dt>raw</dt>
        <dd>
          <code>{image.lineage.raw}</code> ({image.raw.sizeBytes} bytes, sha256{' '}
          {image.raw.sha256.slice(0, 12)}…)
        </dd>
        <dt>standardized</dt>
        <dd>
          <code>{image.lineage.derivative ?? '—'}</code>
        </dd>
        <dt>thumbnail</dt>
        <dd>
          <code>{image.lineage.thumbnail ?? '—'}</code>
        </dd>
        <dt>cleared</dt>
        <dd>
          <code>{image.lineage.cleared ?? '—'}</code>
        </dd>
        <dt>stages done</dt>
        <dd>{Object.keys(image.stages).join(' → ') || '—'}</dd>
        <dt>trace</dt>
        <dd data-testid="trace">
          {image.traceUrl ? (
            <a href={image.traceUrl} target="_blank" rel="noreferrer">
              {image.traceId}
            </a>
          ) : image.traceId ? (
            <>
              <code>{image.traceId}</code> <span className="muted">(no trace viewer configured)</span>
            </>
          ) : (
            '—'
          )}
        </dd>
      </dl>

      <h2>Audit trail</h2>
      {audit.error ? (
        <p className="error">{audit.error.message}</p>
      ) : (
        <table className="grid" data-testid="audit">
          <tbody>
            {audit.data?.entries.map((entry, index) => (
              <tr key={index}>
                <td>{new Date(entry.at).toLocaleString()}</td>
                <td>{entry.action}</td>
                <td>{entry.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {audit.data?.entries.length === 0 && <p className="muted">No audit entry for this image.</p>}

      <details>
        <summary>Stage results (raw JSON)</summary>
        <pre>{JSON.stringify(image.stages, null, 2)}</pre>
      </details>
    </section>
  );
}
