import {
  corpusPath,
  DEEP_JSON,
  expectedDefences,
  HUGE_CONTENT_LENGTH,
  probeHttpDefences,
  rawHttp,
} from '@aperture/testing';
import { ingestV1 } from '@aperture/contracts';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { uploadRequestLimit } from './stage';
import { startTestIngest, type TestIngest } from './testing/test-ingest';

// Issue 19's HTTP findings replayed by hand on raw sockets against the whole service in-process
// (real broker, database and blob directory). Uploads that fail on the wire: a file part that ends
// early (finding 1: it used to end the process), a body that is not multipart, a client that goes
// away, a client that stops sending, a huge Content-Length (finding 7). Each ends its request with
// a 4xx (or, for a client gone, no answer), the service keeps answering, and nothing is left
// stored: no blob, no temporary file, no record. Then the probes every service must answer alike
// (compliance, annotation-router and campaigns run the same): deeply nested JSON (finding 5: it
// answered 500), the framework banner, TRACE answering 404 (findings 9 and 10).

const ADMIN_TOKEN = 'upload-failures-admin-token-0019';
const BOUNDARY = 'XYZ';
/** The start of a JPEG (SOI, APP0 marker) followed by junk: what the probe sent. */
const JPEG_START = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('garbage')]);
/** A real photo's first 40 KB: past the blob store's 4 KB head check, so a temporary file exists. */
const PHOTO_START = readFileSync(corpusPath('cameras/jpg/Reconyx_HC500_Hyperfire.jpg')).subarray(0, 40_000);
const IDLE_MS = 1000;
const MAX_UPLOAD_BYTES = 1024 * 1024;
const MAX_JSON_BODY_BYTES = 16 * 1024;

/** A multipart body whose only file part carries `content` and, unless `close` is false, its closing boundary. */
function multipartBody(content: Buffer, close = true): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n',
    ),
    content,
    Buffer.from(close ? `\r\n--${BOUNDARY}--\r\n` : ''),
  ]);
}

/** Every file under `dir`, relative paths (the blob store's objects and its temporary files). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('ingest: hostile requests on the wire', () => {
  let ingest: TestIngest;
  let api: ReturnType<typeof request>;
  let apiKey: string;
  let batchId: string;

  const uploadHead = (contentLength: number, path = `/v1/batches/${batchId}/images`) =>
    [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      `x-api-key: ${apiKey}`,
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
      `Content-Length: ${contentLength}`,
    ].join('\r\n');

  /** The service answers, the batch holds no image and no blob or temporary file exists. */
  async function expectNothingStoredAndAlive() {
    expect((await api.get('/healthz')).status).toBe(200);
    const batch = await api.get(`/v1/batches/${batchId}`).set('x-api-key', apiKey);
    expect(batch.body.counts.uploaded).toBe(0);
    // The store cleans up after the failed request, asynchronously to the answer.
    for (let i = 0; i < 50 && (await filesUnder(ingest.blobDir)).length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await filesUnder(ingest.blobDir)).toEqual([]);
  }

  beforeAll(async () => {
    ingest = await startTestIngest('it_ingest_upload_failures', {
      ADMIN_TOKEN,
      BODY_IDLE_TIMEOUT_MS: String(IDLE_MS),
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      MAX_JSON_BODY_BYTES: String(MAX_JSON_BODY_BYTES),
    });
    api = request(ingest.url);
    const tenant = await api.post('/v1/tenants').set('x-admin-token', ADMIN_TOKEN).send({ name: 'wire' });
    apiKey = String(tenant.body.apiKey);
    const project = await api.post('/v1/projects').set('x-api-key', apiKey).send({ name: 'wire' });
    const batch = await api
      .post('/v1/batches')
      .set('x-api-key', apiKey)
      .send({ projectId: project.body.projectId });
    batchId = String(batch.body.batchId);
  });

  afterAll(async () => {
    await ingest?.stop();
  });

  it('answers 400 malformed_multipart to a file part that ends early, and stays up (finding 1)', async () => {
    const body = multipartBody(JPEG_START, false);
    for (const path of [`/v1/batches/${batchId}/images`, `/v1/batches/${batchId}/images?verdict=sync`]) {
      const answer = await rawHttp(ingest.running.httpPort, uploadHead(body.length, path), { body });
      expect({ status: answer?.status, body: JSON.parse(answer?.body ?? '{}') }).toEqual({
        status: 400,
        body: {
          error: { code: 'malformed_multipart', message: 'malformed multipart body: Unexpected end of form' },
        },
      });
    }
    await expectNothingStoredAndAlive();
  });

  it('answers 400 malformed_multipart to bodies that are not multipart', async () => {
    const bodies = [
      Buffer.from('not multipart at all'),
      Buffer.from(`--${BOUNDARY}\r\nthis is no header\r\n\r\nbytes\r\n--${BOUNDARY}--\r\n`),
    ];
    for (const body of bodies) {
      const answer = await rawHttp(ingest.running.httpPort, uploadHead(body.length), { body });
      expect({ status: answer?.status, code: JSON.parse(answer?.body ?? '{}').error?.code }).toEqual({
        status: 400,
        code: 'malformed_multipart',
      });
    }
    await expectNothingStoredAndAlive();
  });

  it('answers 400 to more text fields than a request may carry, and stores nothing', async () => {
    let call = api.post(`/v1/batches/${batchId}/images`).set('x-api-key', apiKey);
    for (let i = 0; i < 51; i++) call = call.field(`note${i}`, 'x');
    const response = await call.attach('file', readFileSync(corpusPath('formats/320x240.jpg')), 'a.jpg');
    expect({ status: response.status, body: response.body }).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'at most 50 text fields per request' } },
    });
    await expectNothingStoredAndAlive();
  });

  it('leaves nothing behind when the client goes away in the middle of a file', async () => {
    const body = multipartBody(PHOTO_START, false);
    await rawHttp(ingest.running.httpPort, uploadHead(body.length + 100_000), { body, then: 'destroy' });
    await expectNothingStoredAndAlive();
  });

  it('answers 408 request_timeout to a client that stops sending mid-file, and stores nothing', async () => {
    const body = multipartBody(PHOTO_START, false);
    const answer = await rawHttp(ingest.running.httpPort, uploadHead(body.length + 100_000), {
      body,
      timeoutMs: IDLE_MS + 10_000,
    });
    expect({ status: answer?.status, body: JSON.parse(answer?.body ?? '{}') }).toEqual({
      status: 408,
      body: {
        error: {
          code: 'request_timeout',
          message: `no data from the client for ${IDLE_MS} ms: the request body is incomplete`,
        },
      },
    });
    expect(answer?.elapsedMs).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(answer?.headers['connection']).toBe('close');
    await expectNothingStoredAndAlive();
  });

  it('refuses a Content-Length over the upload limit at once, with or without a key (finding 7)', async () => {
    const limit = uploadRequestLimit(MAX_UPLOAD_BYTES);
    for (const withKey of [true, false]) {
      const head = uploadHead(HUGE_CONTENT_LENGTH)
        .split('\r\n')
        .filter((line) => withKey || !line.startsWith('x-api-key'))
        .join('\r\n');
      const answer = await rawHttp(ingest.running.httpPort, head, { body: multipartBody(JPEG_START, false) });
      expect({ status: answer?.status, body: JSON.parse(answer?.body ?? '{}') }).toEqual({
        status: 413,
        body: {
          error: {
            code: 'too_large',
            message: `the request body is larger than the limit of ${limit} bytes`,
          },
        },
      });
      expect(answer?.elapsedMs).toBeLessThan(2000);
    }
    // Just under the limit is not refused up front: the upload is read (and, cut short, fails as such).
    const answer = await rawHttp(ingest.running.httpPort, uploadHead(limit), {
      body: multipartBody(JPEG_START, false),
      timeoutMs: IDLE_MS + 10_000,
    });
    expect(answer?.status).toBe(408);
    await expectNothingStoredAndAlive();
  });

  it('leaves nothing behind when a gRPC upload is cancelled mid-stream, and stays up', async () => {
    const client = new ingestV1.IngestServiceClient(
      `127.0.0.1:${ingest.running.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    try {
      const metadata = new grpc.Metadata();
      metadata.set('x-api-key', apiKey);
      // Cancelled at once, with the bytes in flight: the blob store's temporary file (if it got
      // that far) is removed and no record is written.
      const code = await new Promise<number>((resolve) => {
        const call = client.uploadImage(metadata, (error) => resolve(error?.code ?? 0));
        call.write({
          part: {
            $case: 'metadata',
            value: ingestV1.UploadImageMetadata.fromPartial({ batchId, filename: 'a.jpg' }),
          },
        });
        call.write({ part: { $case: 'chunk', value: PHOTO_START } });
        call.cancel();
      });
      expect(code).toBe(grpc.status.CANCELLED);
    } finally {
      client.close();
    }
    await expectNothingStoredAndAlive();
  });

  it('still accepts a whole upload on the same service', async () => {
    const photo = readFileSync(corpusPath('formats/320x240.jpg'));
    const body = multipartBody(photo);
    const answer = await rawHttp(ingest.running.httpPort, uploadHead(body.length), { body });
    expect(answer?.status).toBe(201);
    const batch = await api.get(`/v1/batches/${batchId}`).set('x-api-key', apiKey);
    expect(batch.body.counts.uploaded).toBe(1);
  });

  it('answers every probe with the standard error, at once, with no banner', async () => {
    const options = {
      jsonRoute: '/v1/projects',
      credentials: { 'x-api-key': apiKey },
      knownRoute: { path: '/healthz', allow: 'GET, HEAD' },
      maxJsonBodyBytes: MAX_JSON_BODY_BYTES,
      idleTimeoutMs: IDLE_MS,
    };
    expect(await probeHttpDefences(ingest.running.httpPort, options)).toEqual(expectedDefences(options));
  });

  it('answers 400 to 5,000 nested arrays on every JSON route of the finding (it was a 500)', async () => {
    const project = await api.post('/v1/projects').set('x-api-key', apiKey).send({ name: 'deep' });
    for (const call of [
      api.post('/v1/projects').set('x-api-key', apiKey),
      api.post('/v1/batches').set('x-api-key', apiKey),
      api.put(`/v1/projects/${project.body.projectId}/policy`).set('x-api-key', apiKey),
      api.post('/v1/tenants').set('x-admin-token', ADMIN_TOKEN),
    ]) {
      const response = await call.set('content-type', 'application/json').send(DEEP_JSON);
      expect({ status: response.status, body: response.body }).toEqual({
        status: 400,
        body: {
          error: { code: 'invalid_request', message: 'the JSON body is nested more than 32 levels deep' },
        },
      });
    }
    // Nesting within the limit is parsed and validated as usual.
    const nested = await api
      .post('/v1/projects')
      .set('x-api-key', apiKey)
      .send({ name: 'ok', policy: { annotation: { classes: [[[['a']]]] } } });
    expect(nested.status).toBe(400);
    expect(nested.body.error.code).toBe('invalid_request');
    expect(nested.body.error.details).toBeDefined();
  });

  it('answers 405 with Allow to methods a known route does not serve, on every kind of route', async () => {
    for (const [method, path, allow] of [
      ['TRACE', '/v1/batches', 'POST'],
      ['DELETE', '/v1/projects/prj_0000', 'GET, HEAD'],
      ['PATCH', '/v1/batches/bat_0000/images', 'GET, HEAD, POST'],
      ['OPTIONS', '/openapi.json', 'GET, HEAD'],
    ] as const) {
      const response = await api[method === 'TRACE' ? 'trace' : (method.toLowerCase() as 'get')](path);
      expect({ method, path, status: response.status, allow: response.headers['allow'] }).toEqual({
        method,
        path,
        status: 405,
        allow,
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
    // HEAD on a GET route is served.
    expect((await api.head('/healthz')).status).toBe(200);
  });
});
