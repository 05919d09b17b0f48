import { useEffect, useMemo, useState } from 'react';
import { ApiError, type Batch, call, type Image, type ImageStatus, imageUrl } from '../api';
import { useEventStream } from '../hooks';
import { hrefOf } from '../routes';
import { Counts } from './counts';

const STATUSES: ImageStatus[] = ['processing', 'pending_annotation', 'curated', 'rejected'];

/** Every image of a batch (the API's pages, 200 at a time), of one status when asked. */
async function allImages(batchId: string, status: string): Promise<Image[]> {
  const images: Image[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '200', ...(status && { status }), ...(cursor && { cursor }) });
    const page: { images: Image[]; nextCursor: string | null } = await call(
      'GET',
      `/v1/batches/${encodeURIComponent(batchId)}/images?${query.toString()}`,
    );
    images.push(...page.images);
    cursor = page.nextCursor;
  } while (cursor);
  return images;
}

/** One batch: live counts, and its images as thumbnails, filtered by status and reason. */
export function BatchPage({ batchId }: { batchId: string }) {
  const stream = useEventStream<Batch>(`/console/api/batches/${encodeURIComponent(batchId)}/events`);
  const [status, setStatus] = useState('');
  const [reason, setReason] = useState('');
  const [images, setImages] = useState<Image[]>([]);
  const [error, setError] = useState('');
  // The grid is read again when the counts change (an event), never on a timer.
  const version = stream.data ? JSON.stringify(stream.data.counts) : '';

  useEffect(() => {
    let live = true;
    allImages(batchId, status).then(
      (found) => live && setImages(found),
      (failure: unknown) => live && setError(failure instanceof ApiError ? failure.message : String(failure)),
    );
    return () => {
      live = false;
    };
  }, [batchId, status, version]);

  const shown = useMemo(
    () => (reason ? images.filter((image) => image.reasons.some((r) => r.code === reason)) : images),
    [images, reason],
  );
  const reasons = Object.keys(stream.data?.counts.rejectedByReason ?? {});

  return (
    <section>
      <h1>
        Batch {batchId}{' '}
        <span className={`live ${stream.live ? 'on' : ''}`}>{stream.live ? 'live' : 'connecting…'}</span>
      </h1>
      {stream.failure && <p className="error">{stream.failure}</p>}
      {error && <p className="error">{error}</p>}
      {stream.data && (
        <div data-testid="batch-counts">
          <p>
            State:{' '}
            <span className={`state ${stream.data.state}`} data-testid="batch-state">
              {stream.data.state}
            </span>{' '}
            · project{' '}
            <a href={hrefOf({ page: 'projects', projectId: stream.data.projectId })}>
              {stream.data.projectId}
            </a>
          </p>
          <Counts batch={stream.data} />
        </div>
      )}
      <div className="filters">
        <label>
          Status{' '}
          <select name="status" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">all</option>
            {STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <label>
          Reason{' '}
          <select name="reason" value={reason} onChange={(event) => setReason(event.target.value)}>
            <option value="">any</option>
            {reasons.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <span className="muted">{shown.length} shown</span>
      </div>
      <ul className="thumbs" data-testid="thumbs">
        {shown.map((image) => (
          <li
            key={image.imageId}
            className={image.status}
            data-image={image.imageId}
            data-filename={image.filename}
          >
            <a href={hrefOf({ page: 'image', imageId: image.imageId })}>
              {hasThumbnail(image) ? (
                <img src={imageUrl(image.imageId, 'thumbnail')} alt={image.filename} loading="lazy" />
              ) : (
                <span className="no-thumb">
                  {image.status === 'rejected' ? 'rejected before standardizing' : 'no thumbnail yet'}
                </span>
              )}
              <span className="caption">
                {image.filename}
                <br />
                <span className={`status ${image.status}`}>{image.status}</span>
                {image.reasons.map((r) => (
                  <span key={r.code} className="reason-code">
                    {' '}
                    {r.code}
                  </span>
                ))}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

const hasThumbnail = (image: Image) =>
  Boolean((image.stages['standardize'] as { thumbnail?: { key?: string } } | undefined)?.thumbnail?.key);
