// A typed client for the ingest REST API (services/README.md), over Node's built-in fetch.
//
// Retry policy: a request is retried up to `retries` times (4 by default) with exponential backoff
// when it may succeed on its own a moment later: a network error (refused, reset, DNS, timeout),
// 429, 502, 503 or 504. Any other 4xx/5xx answer is final and thrown as an ApiError carrying the
// API's {"error": {"code", "message"}}. Every attempt builds its body afresh, so an upload re-opens
// its file and streams it again.
import type { CoverageCheck } from '@aperture/diversity';
import { openAsBlob } from 'node:fs';
import { basename, extname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export type BatchState = 'open' | 'closed' | 'complete';

export interface BatchCounts {
  uploaded: number;
  processing: number;
  pendingAnnotation: number;
  curated: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
}

export interface BatchDeclarations {
  region?: string;
  consentIds?: string[];
}

export interface Batch {
  batchId: string;
  projectId: string;
  state: BatchState;
  declarations?: BatchDeclarations;
  createdAt?: string;
  closedAt?: string | null;
  counts: BatchCounts;
  /** What the batch's cleared images show, against the project's content targets (ingest's BatchContentView). */
  content?: { images: number; targets: CoverageCheck[] };
}

export type ImageStatus = 'processing' | 'pending_annotation' | 'curated' | 'rejected';

export interface Image {
  imageId: string;
  batchId: string;
  projectId?: string;
  filename: string;
  status: ImageStatus;
  stage?: string;
  reasons?: { code: string; message: string }[];
  raw?: { key: string; contentType: string; sizeBytes: number; sha256: string };
  receivedAt?: string;
}

export interface CreateBatchRequest {
  projectId: string;
  idempotencyKey: string;
  declarations?: BatchDeclarations;
}

/** A file on disk to upload; only its path is opened, lazily, per attempt. */
export interface UploadSource {
  path: string;
  /** The filename sent in the multipart part (default: the path's basename). */
  filename?: string;
  /** Text fields sent before the file (a campaign upload: campaignId, category, setting, tags). */
  fields?: Readonly<Record<string, string>>;
}

/** What the upload orchestration needs from the API (a fake implements it in tests). */
export interface IngestApi {
  createBatch(request: CreateBatchRequest): Promise<Batch>;
  uploadImage(batchId: string, file: UploadSource): Promise<Image[]>;
  closeBatch(batchId: string): Promise<Batch>;
  getBatch(batchId: string): Promise<Batch>;
}

/** An answer of the API that is not a success, or a request that never got one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status, or undefined when no answer came (network error, timeout). */
    readonly status: number | undefined,
    /** The API's machine code (`unauthenticated`, `too_large`, ...), or `unreachable`/`http_<status>`. */
    readonly code: string,
    message: string,
    /** How many attempts were made. */
    readonly attempts = 1,
  ) {
    super(message);
  }

  /** Whether the request may succeed if simply sent again. */
  get transient(): boolean {
    return this.status === undefined || RETRYABLE_STATUSES.has(this.status);
  }

  /** One line for a person: `[415 unsupported_media_type] not an image`. */
  describe(): string {
    return `[${this.status === undefined ? '' : `${this.status} `}${this.code}] ${this.message}`;
  }
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

export interface RetryEvent {
  method: string;
  path: string;
  /** The attempt that just failed (1-based). */
  attempt: number;
  delayMs: number;
  error: ApiError;
}

export interface ApiClientOptions {
  /** Base URL of the ingest API, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  apiKey: string;
  /** Retries after the first attempt (default 4: five attempts in all). */
  retries?: number;
  /** Backoff before the first retry, doubled for each next one (default 500 ms). */
  baseDelayMs?: number;
  /** Upper bound of one backoff, also of a Retry-After the server asks for (default 15 s). */
  maxDelayMs?: number;
  /** Time limit of one JSON request (default 30 s); uploads have none, large files take long. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1): the backoff is between half and all of the nominal delay. */
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
  /** Sent with every request besides x-api-key (a collector's x-collector-token). */
  headers?: Readonly<Record<string, string>>;
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  json?: unknown;
  /** Builds the body of one attempt (uploads re-open the file each time). */
  body?: () => Promise<FormData>;
  timeoutMs?: number;
  redirect?: 'follow' | 'error';
  /** Answer the body's bytes (a Buffer) instead of parsing JSON. */
  binary?: boolean;
}

export class ApiClient implements IngestApi {
  private readonly baseUrl: string;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly requestTimeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retries = options.retries ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 15_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
  }

  createBatch(request: CreateBatchRequest): Promise<Batch> {
    return this.request<Batch>({ method: 'POST', path: '/v1/batches', json: request });
  }

  async uploadImage(batchId: string, file: UploadSource): Promise<Image[]> {
    const filename = file.filename ?? basename(file.path);
    const answer = await this.request<{ images: Image[] }>({
      method: 'POST',
      path: `/v1/batches/${encodeURIComponent(batchId)}/images`,
      body: async () => {
        // A file-backed Blob: fetch streams it from disk in chunks, it is never read whole.
        const blob = await openAsBlob(file.path, { type: contentTypeOf(filename) });
        const form = new FormData();
        // Fields first: ingest applies a text field to the files that follow it.
        for (const [name, value] of Object.entries(file.fields ?? {})) form.append(name, value);
        form.append('file', blob, filename);
        return form;
      },
      timeoutMs: 0,
      // fetch keeps a copy of a request body it may have to send again after a 307/308 redirect,
      // i.e. the whole file; with redirects refused the body streams from disk with flat memory.
      redirect: 'error',
    });
    return answer.images ?? [];
  }

  closeBatch(batchId: string): Promise<Batch> {
    return this.request<Batch>({ method: 'POST', path: `/v1/batches/${encodeURIComponent(batchId)}/close` });
  }

  getBatch(batchId: string): Promise<Batch> {
    return this.request<Batch>({ method: 'GET', path: `/v1/batches/${encodeURIComponent(batchId)}` });
  }

  /** POST a JSON body (retried only on the transient answers, like every call). */
  postJson<T>(path: string, json: unknown = {}): Promise<T> {
    return this.request<T>({ method: 'POST', path, json });
  }

  /** GET a JSON resource of the API (with retries, like every call). */
  getJson<T>(path: string): Promise<T> {
    return this.request<T>({ method: 'GET', path });
  }

  /** GET the bytes of a resource (an image). */
  getBytes(path: string): Promise<Buffer> {
    return this.request<Buffer>({ method: 'GET', path, binary: true, timeoutMs: 120_000 });
  }

  private async request<T>(spec: RequestSpec): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt<T>(spec, attempt);
      if (result.ok) return result.value;
      const error = result.error;
      if (!error.transient || attempt > this.retries) throw error;
      const delayMs = this.backoff(attempt, result.retryAfterMs);
      this.options.onRetry?.({ method: spec.method, path: spec.path, attempt, delayMs, error });
      await this.sleep(delayMs);
    }
  }

  private async attempt<T>(
    spec: RequestSpec,
    attempt: number,
  ): Promise<{ ok: true; value: T } | { ok: false; error: ApiError; retryAfterMs?: number }> {
    const headers: Record<string, string> = {
      ...this.options.headers,
      'x-api-key': this.options.apiKey,
      accept: 'application/json',
    };
    let body: string | FormData | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.body) {
      body = await spec.body(); // a missing or unreadable file throws here: not an API error, not retried
    }
    const timeoutMs = spec.timeoutMs ?? this.requestTimeoutMs;
    let response: Response;
    let text: string;
    let bytes: Buffer | undefined;
    try {
      response = await this.fetchFn(`${this.baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        body,
        ...(spec.redirect && { redirect: spec.redirect }),
        ...(timeoutMs > 0 && { signal: AbortSignal.timeout(timeoutMs) }),
      });
      if (spec.binary && response.ok) {
        bytes = Buffer.from(await response.arrayBuffer());
        text = '';
      } else text = await response.text();
    } catch (cause) {
      return {
        ok: false,
        error: new ApiError(
          undefined,
          'unreachable',
          `cannot reach ${this.baseUrl}: ${describeCause(cause)}`,
          attempt,
        ),
      };
    }
    if (response.ok && bytes) return { ok: true, value: bytes as T };
    if (response.ok) {
      try {
        return { ok: true, value: (text === '' ? {} : JSON.parse(text)) as T };
      } catch {
        return {
          ok: false,
          error: new ApiError(response.status, 'invalid_response', `not JSON: ${truncate(text)}`, attempt),
        };
      }
    }
    return {
      ok: false,
      error: errorFromAnswer(response, text, attempt),
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    };
  }

  /** Nominal delay base·2^(attempt-1), capped, with jitter; a server's Retry-After wins if longer. */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    const nominal = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(nominal / 2 + (nominal / 2) * this.random());
    return retryAfter === undefined ? jittered : Math.max(jittered, Math.min(retryAfter, this.maxDelayMs));
  }
}

function errorFromAnswer(response: Response, text: string, attempts: number): ApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof code === 'string') {
      return new ApiError(response.status, code, typeof message === 'string' ? message : code, attempts);
    }
  } catch {
    // not the API's error shape (a proxy's HTML page, ...): fall through
  }
  const message = text.trim() === '' ? response.statusText || `HTTP ${response.status}` : truncate(text);
  return new ApiError(response.status, `http_${response.status}`, message, attempts);
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describeCause(error: unknown): string {
  // Checked by shape, not instanceof: fetch's errors may come from another realm (e.g. under Jest).
  const { name, message, cause } = asError(error);
  if (name === 'TimeoutError') return 'request timed out';
  // fetch wraps the socket error: TypeError('fetch failed', { cause: Error('connect ECONNREFUSED ...') })
  if (cause !== undefined) {
    const inner = asError(cause);
    return inner.code && !inner.message.includes(inner.code)
      ? `${inner.code} ${inner.message}`
      : inner.message;
  }
  return message;
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return asError(error).message;
}

function asError(value: unknown): { name?: string; message: string; code?: string; cause?: unknown } {
  if (typeof value !== 'object' || value === null) return { message: String(value) };
  const { name, message, code, cause } = value as Record<string, unknown>;
  return {
    ...(typeof name === 'string' && { name }),
    message: typeof message === 'string' ? message : JSON.stringify(value),
    ...(typeof code === 'string' && { code }),
    ...(cause !== undefined && { cause }),
  };
}

function truncate(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.bmp': 'image/bmp',
};

/** A hint from the file extension; the API sniffs the content and decides. */
export function contentTypeOf(filename: string): string {
  return CONTENT_TYPES[extname(filename).toLowerCase()] ?? 'application/octet-stream';
}
