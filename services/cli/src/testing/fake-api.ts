// A local HTTP server (node:http) that plays the ingest REST API for the unit tests: batches,
// multipart uploads with content sniffing, close, and a batch that completes after N polls.
// Faults (a 503, a dropped connection) can be scripted per route. Test code only: excluded from
// the build by tsconfig.lib.json.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import busboy from 'busboy';

import type { Batch, Image } from '../api-client';

export type Outcome = { status: 'curated' | 'pending_annotation' } | { status: 'rejected'; code: string };

export interface Fault {
  method: string;
  path: RegExp;
  /** An HTTP status to answer with, or 'drop' to close the connection without an answer. */
  answer: number | 'drop';
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests get the fault (default 1). */
  times?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  apiKey: string | undefined;
  json?: unknown;
  filenames?: string[];
}

interface StoredBatch {
  batch: Batch;
  images: { filename: string; size: number; outcome: Outcome }[];
  polls: number;
}

export interface FakeApiOptions {
  apiKey?: string;
  /** GETs of a closed batch after which it is complete (default 2). */
  completeAfterPolls?: number;
  /** Largest accepted upload in bytes (default 1 MiB). */
  maxBytes?: number;
  /** What the pipeline decides for an image (default: curated). */
  outcome?: (filename: string) => Outcome;
}

const JPEG = [0xff, 0xd8, 0xff];
const PNG = [0x89, 0x50, 0x4e, 0x47];

/** The first bytes of a small JPEG, enough for the fake's sniffing. */
export function jpegBytes(size = 64): Buffer {
  const buffer = Buffer.alloc(size, 0x20);
  Buffer.from(JPEG).copy(buffer);
  return buffer;
}

export class FakeApi {
  readonly requests: LoggedRequest[] = [];
  readonly faults: Fault[] = [];
  readonly batches = new Map<string, StoredBatch>();
  private readonly idempotency = new Map<string, string>();
  private readonly server: Server;
  private nextId = 1;
  private url = '';

  constructor(private readonly options: FakeApiOptions = {}) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: String(error) } });
      });
    });
  }

  get baseUrl(): string {
    return this.url;
  }

  get apiKey(): string {
    return this.options.apiKey ?? 'test-key';
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  requestsTo(method: string, path: RegExp): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const apiKey = header(req, 'x-api-key');
    const logged: LoggedRequest = { method, path, apiKey };
    this.requests.push(logged);

    const fault = this.faults.find((f) => f.method === method && f.path.test(path) && (f.times ?? 1) > 0);
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.answer === 'drop') {
        req.socket.destroy();
        return;
      }
      await drain(req); // read the upload first, as a real server would, so the client sees the answer
      send(
        res,
        fault.answer,
        fault.body ?? { error: { code: 'unavailable', message: 'try again' } },
        fault.headers,
      );
      return;
    }

    if (apiKey !== this.apiKey) {
      await drain(req);
      return send(res, 401, { error: { code: 'unauthenticated', message: 'invalid API key' } });
    }

    let match: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/batches') {
      const body = JSON.parse((await readAll(req)).toString('utf8') || '{}') as {
        projectId?: string;
        idempotencyKey?: string;
        declarations?: Batch['declarations'];
      };
      logged.json = body;
      if (!body.projectId)
        return send(res, 400, { error: { code: 'invalid_request', message: 'projectId' } });
      if (body.projectId === 'missing') {
        return send(res, 404, { error: { code: 'not_found', message: 'project missing not found' } });
      }
      const existing = body.idempotencyKey ? this.idempotency.get(body.idempotencyKey) : undefined;
      if (existing) return send(res, 201, this.batches.get(existing)!.batch);
      const batchId = `bat_${this.nextId++}`;
      if (body.idempotencyKey) this.idempotency.set(body.idempotencyKey, batchId);
      const batch: Batch = {
        batchId,
        projectId: body.projectId,
        state: 'open',
        declarations: body.declarations ?? {},
        createdAt: new Date(0).toISOString(),
        closedAt: null,
        counts: {
          uploaded: 0,
          processing: 0,
          pendingAnnotation: 0,
          curated: 0,
          rejected: 0,
          rejectedByReason: {},
        },
      };
      this.batches.set(batchId, { batch, images: [], polls: 0 });
      return send(res, 201, batch);
    }
    if (method === 'POST' && (match = /^\/v1\/batches\/([^/]+)\/images$/.exec(path))) {
      const stored = this.batches.get(decodeURIComponent(match[1]!));
      if (!stored) {
        await drain(req);
        return send(res, 404, { error: { code: 'not_found', message: 'no such batch' } });
      }
      const files = await readFiles(req);
      logged.filenames = files.map((f) => f.filename);
      if (stored.batch.state !== 'open') {
        return send(res, 409, { error: { code: 'batch_closed', message: 'the batch is closed' } });
      }
      const images: Image[] = [];
      for (const file of files) {
        if (file.data.length > (this.options.maxBytes ?? 1024 * 1024)) {
          return send(res, 413, { error: { code: 'too_large', message: `${file.filename} is too large` } });
        }
        if (!startsWith(file.data, JPEG) && !startsWith(file.data, PNG)) {
          return send(res, 415, {
            error: { code: 'unsupported_media_type', message: `${file.filename} is not a supported image` },
          });
        }
      }
      for (const file of files) {
        const outcome = this.options.outcome?.(file.filename) ?? { status: 'curated' };
        stored.images.push({ filename: file.filename, size: file.data.length, outcome });
        stored.batch.counts.uploaded++;
        stored.batch.counts.processing++;
        images.push({
          imageId: `img_${this.nextId++}`,
          batchId: stored.batch.batchId,
          filename: file.filename,
          status: 'processing',
        });
      }
      return send(res, 201, { images });
    }
    if (method === 'POST' && (match = /^\/v1\/batches\/([^/]+)\/close$/.exec(path))) {
      const stored = this.batches.get(decodeURIComponent(match[1]!));
      if (!stored) return send(res, 404, { error: { code: 'not_found', message: 'no such batch' } });
      if (stored.batch.state !== 'open') {
        return send(res, 409, { error: { code: 'batch_closed', message: 'already closed' } });
      }
      stored.batch.state = 'closed';
      stored.batch.closedAt = new Date(0).toISOString();
      return send(res, 200, stored.batch);
    }
    if (method === 'GET' && (match = /^\/v1\/batches\/([^/]+)$/.exec(path))) {
      const stored = this.batches.get(decodeURIComponent(match[1]!));
      if (!stored) return send(res, 404, { error: { code: 'not_found', message: 'no such batch' } });
      if (stored.batch.state === 'closed' && ++stored.polls >= (this.options.completeAfterPolls ?? 2)) {
        this.complete(stored);
      }
      return send(res, 200, stored.batch);
    }
    await drain(req);
    send(res, 404, { error: { code: 'not_found', message: `${method} ${path}` } });
  }

  private complete(stored: StoredBatch): void {
    const counts = stored.batch.counts;
    counts.processing = 0;
    for (const { outcome } of stored.images) {
      if (outcome.status === 'rejected') {
        counts.rejected++;
        counts.rejectedByReason[outcome.code] = (counts.rejectedByReason[outcome.code] ?? 0) + 1;
      } else if (outcome.status === 'curated') counts.curated++;
      else counts.pendingAnnotation++;
    }
    stored.batch.state = 'complete';
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function drain(req: IncomingMessage): Promise<void> {
  await readAll(req);
}

function readFiles(req: IncomingMessage): Promise<{ filename: string; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const files: { filename: string; data: Buffer }[] = [];
    const parser = busboy({ headers: req.headers });
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        files.push({ filename: info.filename ?? 'unnamed', data: Buffer.concat(chunks) }),
      );
    });
    parser.on('close', () => resolve(files));
    parser.on('error', reject);
    req.pipe(parser);
  });
}

function startsWith(data: Buffer, magic: number[]): boolean {
  return magic.every((byte, i) => data[i] === byte);
}
