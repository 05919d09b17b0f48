import { commonV1, ingestV1, Topics } from '@aperture/contracts';
import { createKafka } from '@aperture/messaging';
import { CoverageCounters, type StageCompletion } from '@aperture/persistence';
import { createLogger, startTelemetry } from '@aperture/telemetry';
import {
  corpusPath,
  isolated,
  probeTenantIsolation,
  testInfraEnv,
  uniqueName,
  eventually,
  waitFor,
  serviceTestEnv,
} from '@aperture/testing';
import * as grpc from '@grpc/grpc-js';
import type { Consumer } from 'kafkajs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type RunningIngest, startIngest } from './testing/test-ingest';
import { toGrpcBatch } from './ingest.grpc';
import type { BatchView } from './views';

// The whole ingest service in-process, against the real broker and the real MongoDB-wire server:
// REST and gRPC in, ImageIngested events out through the outbox relay.

// A tracer provider and the W3C propagator, so events carry the trace of the upload's span.
startTelemetry('ingest-it');

const corpus = corpusPath();
const files = {
  jpeg: join(corpus, 'formats/320x240.jpg'),
  png: join(corpus, 'formats/with-alpha.png'),
  heif: join(corpus, 'cameras/heic/samplefilehub.heif'),
  svg: join(corpus, 'formats/check.svg'),
  big: join(corpus, 'formats/2569067123_aca715a2ee_o.jpg'), // 829 KB, over the limit below
  grpc: join(corpus, 'formats/flowers.jpeg'),
};
const MAX_UPLOAD_BYTES = 300 * 1024;
const ADMIN_TOKEN = 'it-admin-token-0123';
/** The ids (or another string field) of the items of an answer's list. */
const ids = (items: unknown, field = 'imageId'): string[] =>
  (items as Array<Record<string, unknown>>).map((item) => String(item[field]));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface ReceivedEvent {
  key: string;
  image: commonV1.ImageContext;
  traceparent: string | undefined;
}

describe('ingest service', () => {
  let running: RunningIngest;
  let blobDir: string;
  let consumer: Consumer;
  let api: ReturnType<typeof request>;
  const received: ReceivedEvent[] = [];
  const tenants: Record<'a' | 'b', { tenantId: string; apiKey: string }> = {} as never;
  let projectId: string;
  let batchId: string;
  const imageIds: string[] = [];

  beforeAll(async () => {
    const env = testInfraEnv();
    const mongoUri = new URL(env.mongoUri);
    mongoUri.pathname = `/${uniqueName('it_ingest').replace(/-/g, '_')}`;
    blobDir = await mkdtemp(join(tmpdir(), 'ingest-it-blobs-'));
    running = await startIngest(
      serviceTestEnv({ ...env, mongoUri: mongoUri.toString() }, blobDir, {
        MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
        ADMIN_TOKEN,
        KAFKA_GROUP_ID: uniqueName('it-ingest-tallies'),
      }),
      createLogger('ingest', { level: 'warn' }),
    );
    api = request(`http://127.0.0.1:${running.httpPort}`);

    const kafka = createKafka({ clientId: 'ingest-it', brokers: env.kafkaBrokers, log: () => undefined });
    consumer = kafka.consumer({ groupId: uniqueName('ingest-it') });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.imageIngested, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { image } = ingestV1.ImageIngested.decode(message.value!);
        if (!image) return;
        received.push({
          key: message.key!.toString(),
          image,
          traceparent: message.headers?.['traceparent']?.toString(),
        });
      },
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await running?.pipeline.connection.dropDatabase();
    await running?.stop();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  it('reads its test files from the shared corpus', () => {
    for (const path of Object.values(files)) expect(existsSync(path)).toBe(true);
  });

  it('creates tenants only with the admin token', async () => {
    const refused = await api.post('/v1/tenants').send({ name: 'nobody' });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
    const wrong = await api.post('/v1/tenants').set('x-admin-token', 'wrong-token').send({ name: 'nobody' });
    expect(wrong.status).toBe(401);

    for (const name of ['a', 'b'] as const) {
      const created = await api
        .post('/v1/tenants')
        .set('x-admin-token', ADMIN_TOKEN)
        .send({ name: `tenant ${name}` });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        tenantId: expect.stringMatching(/^ten_/),
        name: `tenant ${name}`,
      });
      expect(created.body.apiKey).toMatch(/^apk_/);
      tenants[name] = { tenantId: created.body.tenantId, apiKey: created.body.apiKey };
    }
    // Only the hash is stored.
    const stored = await running.pipeline.connection
      .collection('api_keys')
      .findOne({ tenantId: tenants.a.tenantId });
    expect(stored).toMatchObject({ hash: createHash('sha256').update(tenants.a.apiKey).digest('hex') });
    expect(JSON.stringify(stored)).not.toContain(tenants.a.apiKey);
  });

  it('validates and stores projects with their policy', async () => {
    const bad = await api
      .post('/v1/projects')
      .set('x-api-key', tenants.a.apiKey)
      .send({ name: 'shelves', policy: { quality: { minWidth: -1 }, colour: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.details).toEqual([
      { field: 'policy.quality.minWidth', message: 'must be an integer from 1 to 100000' },
      { field: 'policy.colour', message: expect.any(String) },
    ]);

    const created = await api
      .post('/v1/projects')
      .set('x-api-key', tenants.a.apiKey)
      .send({ name: 'shelves', policy: { quality: { minWidth: 100 } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      projectId: expect.stringMatching(/^prj_/),
      name: 'shelves',
      policy: { quality: { minWidth: 100, minHeight: 64 }, standardize: { format: 'jpeg' } },
    });
    projectId = created.body.projectId;

    const again = await api.post('/v1/projects').set('x-api-key', tenants.a.apiKey).send({ name: 'shelves' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const updated = await api
      .put(`/v1/projects/${projectId}/policy`)
      .set('x-api-key', tenants.a.apiKey)
      .send({ compliance: { requireConsent: true } });
    expect(updated.status).toBe(200);
    expect(updated.body.policy).toMatchObject({
      compliance: { requireConsent: true },
      quality: { minWidth: 64 },
    });
    expect(
      (await api.get(`/v1/projects/${projectId}`).set('x-api-key', tenants.a.apiKey)).body.policy,
    ).toEqual(updated.body.policy);

    // The standardize output spec: validated field by field and across fields.
    const spec = await api
      .put(`/v1/projects/${projectId}/policy`)
      .set('x-api-key', tenants.a.apiKey)
      .send({ standardize: { width: 640, height: 480, fit: 'pad', format: 'avif', keepMetadata: [] } });
    expect(spec.status).toBe(200);
    expect(spec.body.policy.standardize).toMatchObject({
      width: 640,
      height: 480,
      fit: 'pad',
      format: 'avif',
    });
    const badSpec = await api
      .put(`/v1/projects/${projectId}/policy`)
      .set('x-api-key', tenants.a.apiKey)
      .send({ standardize: { width: 640, keepMetadata: ['gps'] } });
    expect(badSpec.status).toBe(400);
    expect(badSpec.body.error.details).toEqual([
      {
        field: 'policy.standardize.keepMetadata',
        message: expect.stringContaining('copyright, artist, description'),
      },
    ]);
  });

  it('creates batches idempotently and validates the body', async () => {
    const body = {
      projectId,
      idempotencyKey: uniqueName('key'),
      declarations: { region: 'EU', consentIds: ['c-1'] },
    };
    const first = await api.post('/v1/batches').set('x-api-key', tenants.a.apiKey).send(body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      batchId: expect.stringMatching(/^bat_/),
      projectId,
      state: 'open',
      declarations: { region: 'EU', consentIds: ['c-1'] },
      closedAt: null,
      counts: {
        uploaded: 0,
        processing: 0,
        pendingAnnotation: 0,
        curated: 0,
        rejected: 0,
        erased: 0,
        rejectedByReason: {},
      },
    });
    batchId = first.body.batchId;

    const second = await api.post('/v1/batches').set('x-api-key', tenants.a.apiKey).send(body);
    expect(second.status).toBe(200);
    expect(second.body.batchId).toBe(batchId);

    const reused = await api
      .post('/v1/batches')
      .set('x-api-key', tenants.a.apiKey)
      .send({ ...body, declarations: { region: 'US' } });
    expect(reused.status).toBe(409);

    // The same key from another tenant is another batch (and B cannot see A's project).
    const otherTenant = await api.post('/v1/batches').set('x-api-key', tenants.b.apiKey).send(body);
    expect(otherTenant.status).toBe(404);

    const invalid = await api
      .post('/v1/batches')
      .set('x-api-key', tenants.a.apiKey)
      .send({ declarations: { consentIds: 'c-1' }, surprise: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('invalid_request');
    expect(ids(invalid.body.error.details, 'field')).toEqual(
      expect.arrayContaining(['projectId', 'declarations.consentIds', 'surprise']),
    );

    const badJson = await api
      .post('/v1/batches')
      .set('x-api-key', tenants.a.apiKey)
      .set('content-type', 'application/json')
      .send('{"projectId": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe('invalid_request');
  });

  it('streams a multipart upload of three real files into the blob store and the image records', async () => {
    const response = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .attach('file', files.jpeg)
      .attach('file', files.png, { filename: 'alpha.png', contentType: 'application/octet-stream' })
      // An image may declare consents of its own besides the batch's: the files after the field do.
      .field('consentIds', 'c-photo-3, c-1')
      .attach('file', files.heif);
    expect(response.status).toBe(201);
    expect(response.body.images).toHaveLength(3);
    const expected = [
      [files.jpeg, '320x240.jpg', 'image/jpeg'],
      [files.png, 'alpha.png', 'image/png'],
      [files.heif, 'samplefilehub.heif', 'image/heif'],
    ] as const;
    expected.forEach(([path, filename, contentType], index) => {
      const image = (response.body as { images: Array<{ imageId: string; raw: { key: string } }> }).images[
        index
      ]!;
      const hex = sha256(path);
      expect(image).toMatchObject({
        imageId: expect.stringMatching(/^img_/),
        batchId,
        projectId,
        filename,
        status: 'processing',
        stage: 'ingest',
        reasons: [],
        stages: {},
        raw: {
          key: `raw/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`,
          contentType,
          sha256: hex,
          sizeBytes: readFileSync(path).length,
        },
      });
      expect(readFileSync(join(blobDir, image.raw.key))).toEqual(readFileSync(path));
      imageIds.push(image.imageId);
    });
  });

  it("refuses an image's consent ids that are too long, naming the field", async () => {
    const response = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .field('consentIds', 'x'.repeat(201))
      .attach('file', files.jpeg);
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: 'consentIds', message: 'must list at most 100 consent ids of 1..200 characters' },
    ]);
  });

  it('announces each upload with ImageIngested on aperture.image.ingested.v1, with trace context', async () => {
    await waitFor('three ImageIngested events', () =>
      imageIds.every((id) => received.some((event) => event.key === id)),
    );
    for (const [index, path] of [files.jpeg, files.png, files.heif].entries()) {
      const event = received.find((candidate) => candidate.key === imageIds[index])!;
      const hex = sha256(path);
      expect(event.image).toMatchObject({
        imageId: imageIds[index],
        tenantId: tenants.a.tenantId,
        projectId,
        batchId,
        raw: {
          key: `raw/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`,
          contentType: ['image/jpeg', 'image/png', 'image/heif'][index],
          sizeBytes: String(readFileSync(path).length),
          checksum: { algorithm: commonV1.Checksum_Algorithm.ALGORITHM_SHA256, hex },
        },
        declarations: { region: 'EU', consentIds: index === 2 ? ['c-1', 'c-photo-3'] : ['c-1'] },
      });
      expect(Number.isNaN(Date.parse(event.image.receivedAt))).toBe(false);
      expect(event.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    }
    expect(received.filter((event) => imageIds.includes(event.key))).toHaveLength(3);
  });

  it('reports batch counts, pages images by cursor and shows one image', async () => {
    // The counts trail the uploads by the tally consumer's lag.
    await eventually(async () => {
      const batch = await api.get(`/v1/batches/${batchId}`).set('x-api-key', tenants.a.apiKey);
      expect(batch.status).toBe(200);
      expect(batch.body).toMatchObject({
        state: 'open',
        counts: { uploaded: 3, processing: 3, rejected: 0 },
      });
    });

    const page1 = await api.get(`/v1/batches/${batchId}/images?limit=2`).set('x-api-key', tenants.a.apiKey);
    expect(page1.status).toBe(200);
    expect(ids(page1.body.images)).toEqual([...imageIds].sort().slice(0, 2));
    expect(page1.body.nextCursor).toBe(page1.body.images[1].imageId);
    const page2 = await api
      .get(`/v1/batches/${batchId}/images?limit=2&cursor=${page1.body.nextCursor}`)
      .set('x-api-key', tenants.a.apiKey);
    expect(ids(page2.body.images)).toEqual([...imageIds].sort().slice(2));
    expect(page2.body.nextCursor).toBeNull();
    const curated = await api
      .get(`/v1/batches/${batchId}/images?status=curated`)
      .set('x-api-key', tenants.a.apiKey);
    expect(curated.body).toEqual({ images: [], nextCursor: null });
    const badQuery = await api
      .get(`/v1/batches/${batchId}/images?limit=500`)
      .set('x-api-key', tenants.a.apiKey);
    expect(badQuery.status).toBe(400);

    const image = await api.get(`/v1/images/${imageIds[0]}`).set('x-api-key', tenants.a.apiKey);
    expect(image.status).toBe(200);
    expect(image.body).toMatchObject({
      imageId: imageIds[0],
      status: 'processing',
      stages: {},
      raw: { contentType: 'image/jpeg' },
    });
    expect(image.body).not.toHaveProperty('outbox');
  });

  it('refuses what is not a supported image (415) and what is too large (413), storing nothing', async () => {
    const pdf = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .attach('file', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n'), {
        filename: 'photo.jpg',
        contentType: 'image/jpeg',
      });
    expect(pdf.status).toBe(415);
    expect(pdf.body.error).toEqual({
      code: 'unsupported_media_type',
      message: expect.stringContaining('PDF'),
    });

    const text = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .attach('file', Buffer.from('hello, I am a text file\n'), 'notes.png');
    expect(text.status).toBe(415);
    expect(text.body.error.message).toContain('text');

    const svg = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .attach('file', files.svg);
    expect(svg.status).toBe(415);
    expect(svg.body.error.message).toContain('SVG');

    const big = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .attach('file', files.big);
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too_large');

    const noFile = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .field('note', 'x');
    expect(noFile.status).toBe(400);

    const batch = await api.get(`/v1/batches/${batchId}`).set('x-api-key', tenants.a.apiKey);
    expect(batch.body.counts.uploaded).toBe(3);
  });

  it("says which of its project's content targets a batch holds, from the batch's coverage counter", async () => {
    const project = await api
      .post('/v1/projects')
      .set('x-api-key', tenants.a.apiKey)
      .send({
        name: 'night shots',
        policy: {
          dataset: { minBucketShare: { 'timeOfDay:night': 0.5 }, targets: { minBatchNovelty: 0.9 } },
        },
      });
    expect(project.status).toBe(201);
    const opened = await api
      .post('/v1/batches')
      .set('x-api-key', tenants.a.apiKey)
      .send({ projectId: project.body.projectId });
    const contentOf = async () =>
      (await api.get(`/v1/batches/${opened.body.batchId}`).set('x-api-key', tenants.a.apiKey))
        .body as BatchView;
    expect((await contentOf()).content).toEqual({
      images: 0,
      targets: [expect.objectContaining({ met: false })],
    });

    // What compliance adds for each cleared image (libs/persistence CoverageCounters).
    const counters = new CoverageCounters(running.pipeline.connection);
    const image = (n: number) => ({
      imageId: `img_cov_${opened.body.batchId}_${n}`,
      tenantId: tenants.a.tenantId,
      projectId: project.body.projectId,
      batchId: opened.body.batchId,
    });
    const buckets = (timeOfDay: string) => ({ timeOfDay, place: 'outdoor', content: 'vehicles' });
    await counters.count(image(1), { buckets: buckets('night'), cluster: '0a', novelty: 1 });
    await counters.count(image(2), { buckets: buckets('day'), cluster: '0a', novelty: 0.5 });
    const batch = await contentOf();
    expect(batch.content).toEqual({
      images: 2,
      targets: [
        {
          target: 'minBucketShare timeOfDay:night',
          required: 0.5,
          actual: 0.5,
          met: true,
          message: '50 % of the images are night (timeOfDay); at least 50 % asked',
        },
        {
          target: 'minBatchNovelty',
          required: 0.9,
          actual: 0.75,
          met: false,
          message: "the batch's mean novelty is 0.75; at least 0.9 asked",
        },
      ],
    });
    // gRPC's GetBatch carries the same (aperture.ingest.v1.BatchContent).
    expect(toGrpcBatch(batch).content).toEqual(batch.content);
  });

  it('answers 401 for a missing, unknown or revoked key', async () => {
    expect((await api.get(`/v1/batches/${batchId}`)).status).toBe(401);
    const unknown = await api.get(`/v1/batches/${batchId}`).set('x-api-key', 'apk_not-a-real-key-at-all');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('unauthenticated');

    const created = await api.post('/v1/api-keys').set('x-api-key', tenants.a.apiKey);
    const newKey = String(created.body.apiKey);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      keyId: expect.stringMatching(/^key_/),
      apiKey: expect.stringMatching(/^apk_/),
    });
    expect((await api.get(`/v1/batches/${batchId}`).set('x-api-key', newKey)).status).toBe(200);
    const listed = await api.get('/v1/api-keys').set('x-api-key', tenants.a.apiKey);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.apiKey);
    // Another tenant cannot revoke it.
    expect(
      (await api.delete(`/v1/api-keys/${created.body.keyId}`).set('x-api-key', tenants.b.apiKey)).status,
    ).toBe(404);
    expect(
      (await api.delete(`/v1/api-keys/${created.body.keyId}`).set('x-api-key', tenants.a.apiKey)).status,
    ).toBe(204);
    const revoked = await api.get(`/v1/batches/${batchId}`).set('x-api-key', newKey);
    expect(revoked.status).toBe(401);
  });

  it("answers 404, never 403, for another tenant's batch, image and project, and for unknown routes", async () => {
    const asB = (path: string) => api.get(path).set('x-api-key', tenants.b.apiKey);
    for (const path of [
      `/v1/batches/${batchId}`,
      `/v1/images/${imageIds[0]}`,
      `/v1/projects/${projectId}`,
      `/v1/batches/${batchId}/images`,
    ]) {
      const response = await asB(path);
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    const upload = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.b.apiKey)
      .attach('file', files.png);
    expect(upload.status).toBe(404);
    const close = await api.post(`/v1/batches/${batchId}/close`).set('x-api-key', tenants.b.apiKey);
    expect(close.status).toBe(404);

    const unknown = await api.get('/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('closes a batch and then refuses uploads with 409 batch_closed', async () => {
    const closed = await api.post(`/v1/batches/${batchId}/close`).set('x-api-key', tenants.a.apiKey);
    expect(closed.status).toBe(200);
    // Nothing downstream runs in this test, so the three images are still processing.
    expect(closed.body).toMatchObject({
      state: 'closed',
      closedAt: expect.any(String),
      counts: { uploaded: 3, processing: 3 },
    });
    const upload = await api
      .post(`/v1/batches/${batchId}/images`)
      .set('x-api-key', tenants.a.apiKey)
      .attach('file', files.png);
    expect(upload.status).toBe(409);
    expect(upload.body.error.code).toBe('batch_closed');
  });

  it('counts statuses and rejection reasons from the status events, and completes when nothing is processing', async () => {
    // What the later stages would write, through the stages' own write (no other service runs here).
    const stageResult = (imageId: string, stage: string, completion: Omit<StageCompletion, 'result'>) =>
      running.pipeline.records.completeStage(imageId, stage, { result: { width: 10 }, ...completion });
    await stageResult(imageIds[0]!, 'quality', {
      status: 'rejected',
      reasons: [
        { code: 'too_small', message: 'smaller than 64x64' },
        { code: 'blurry', message: 'too blurry' },
      ],
    });
    await stageResult(imageIds[1]!, 'annotation-router', { status: 'curated' });
    const batchView = () => api.get(`/v1/batches/${batchId}`).set('x-api-key', tenants.a.apiKey);
    await eventually(async () =>
      expect((await batchView()).body).toMatchObject({
        state: 'closed',
        counts: {
          uploaded: 3,
          processing: 1,
          curated: 1,
          rejected: 1,
          pendingAnnotation: 0,
          rejectedByReason: { blurry: 1, too_small: 1 },
        },
      }),
    );
    const rejected = await api
      .get(`/v1/batches/${batchId}/images?status=rejected`)
      .set('x-api-key', tenants.a.apiKey);
    expect(ids(rejected.body.images)).toEqual([imageIds[0]]);
    expect(rejected.body.images[0]).toMatchObject({ stage: 'quality', stages: { quality: { width: 10 } } });

    await stageResult(imageIds[2]!, 'compliance', { status: 'pending_annotation' });
    await eventually(async () =>
      expect((await batchView()).body).toMatchObject({
        state: 'complete',
        counts: { processing: 0, pendingAnnotation: 1 },
      }),
    );
  });

  it('serves health, readiness and the OpenAPI document', async () => {
    expect((await api.get('/healthz')).status).toBe(200);
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { mongodb: true, kafka: true } });
    const openapi = await api.get('/openapi.json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths as object)).toEqual(
      expect.arrayContaining(['/v1/tenants', '/v1/batches', '/v1/batches/{id}/images', '/v1/images/{id}']),
    );
    expect((await api.get('/docs')).status).toBe(200);
  });

  describe('over gRPC', () => {
    let client: ingestV1.IngestServiceClient;
    const metadata = (apiKey: string) => {
      const value = new grpc.Metadata();
      value.set('x-api-key', apiKey);
      return value;
    };
    type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;
    const unary = <Res>(
      apiKey: string,
      invoke: (metadata: grpc.Metadata, callback: Callback<Res>) => unknown,
    ) =>
      new Promise<Res>((resolve, reject) =>
        invoke(metadata(apiKey), (error, response) => (error ? reject(error) : resolve(response))),
      );
    const upload = (apiKey: string, batch: string, path: string, chunkSize = 16 * 1024) =>
      new Promise<ingestV1.UploadImageResponse>((resolve, reject) => {
        const call = client.uploadImage(metadata(apiKey), (error, response) =>
          error ? reject(error) : resolve(response),
        );
        call.write({
          part: {
            $case: 'metadata',
            value: ingestV1.UploadImageMetadata.fromPartial({
              batchId: batch,
              filename: 'from-the-app.jpeg',
            }),
          },
        });
        const bytes = readFileSync(path);
        for (let offset = 0; offset < bytes.length; offset += chunkSize) {
          call.write({ part: { $case: 'chunk', value: bytes.subarray(offset, offset + chunkSize) } });
        }
        call.end();
      });

    beforeAll(() => {
      client = new ingestV1.IngestServiceClient(
        `127.0.0.1:${running.grpcPort}`,
        grpc.credentials.createInsecure(),
      );
    });
    afterAll(() => client?.close());

    it('creates a batch, streams an image in and reads it back', async () => {
      const created = await unary<ingestV1.CreateBatchResponse>(tenants.a.apiKey, (md, cb) =>
        client.createBatch(
          { projectId, idempotencyKey: '', declarations: { region: 'US-IL', consentIds: [] } },
          md,
          cb,
        ),
      );
      expect(created.batch).toMatchObject({
        projectId,
        state: ingestV1.BatchState.BATCH_STATE_OPEN,
        counts: { uploaded: 0 },
      });
      const grpcBatchId = created.batch!.batchId;

      const uploaded = await upload(tenants.a.apiKey, grpcBatchId, files.grpc);
      const hex = sha256(files.grpc);
      expect(uploaded.image).toMatchObject({
        batchId: grpcBatchId,
        filename: 'from-the-app.jpeg',
        status: ingestV1.ImageStatus.IMAGE_STATUS_PROCESSING,
        raw: {
          contentType: 'image/jpeg',
          sizeBytes: String(readFileSync(files.grpc).length),
          checksum: { hex },
        },
      });
      const imageId = uploaded.image!.imageId;

      const fetched = await unary<ingestV1.GetImageResponse>(tenants.a.apiKey, (md, cb) =>
        client.getImage({ imageId }, md, cb),
      );
      expect(fetched.image).toEqual(uploaded.image);
      await waitFor('the gRPC upload event', () => received.some((event) => event.key === imageId));
      expect(received.find((event) => event.key === imageId)!.image).toMatchObject({
        batchId: grpcBatchId,
        declarations: { region: 'US-IL' },
      });

      await eventually(async () => {
        const batch = await unary<ingestV1.GetBatchResponse>(tenants.a.apiKey, (md, cb) =>
          client.getBatch({ batchId: grpcBatchId }, md, cb),
        );
        expect(batch.batch?.counts).toMatchObject({ uploaded: 1, processing: 1 });
      });

      await expect(upload(tenants.a.apiKey, grpcBatchId, files.big)).rejects.toMatchObject({
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
      await expect(upload(tenants.a.apiKey, grpcBatchId, files.svg)).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
      await expect(
        unary(tenants.b.apiKey, (md, cb) => client.getImage({ imageId }, md, cb)),
      ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
      await expect(
        unary('apk_wrong-key-entirely', (md, cb) => client.getImage({ imageId }, md, cb)),
      ).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });

      const closed = await unary<ingestV1.CloseBatchResponse>(tenants.a.apiKey, (md, cb) =>
        client.closeBatch({ batchId: grpcBatchId }, md, cb),
      );
      expect(closed.batch?.state).toBe(ingestV1.BatchState.BATCH_STATE_CLOSED);
      await expect(upload(tenants.a.apiKey, grpcBatchId, files.grpc)).rejects.toMatchObject({
        code: grpc.status.FAILED_PRECONDITION,
      });
    });
    it("answers no caller without a key, and another tenant's key learns nothing, on every method", async () => {
      const page = await api
        .get(`/v1/batches/${batchId}/images`)
        .set('x-api-key', tenants.a.apiKey)
        .expect(200);
      const imageId = (page.body as { images: Array<{ imageId: string }> }).images[0]!.imageId;
      const attacker = { 'x-api-key': tenants.b.apiKey };
      const { IngestServiceService: service } = ingestV1;
      // The probe of issue 19, as on the stages: tenant a's ids, with no credential, a forged
      // service token (ingest takes no service identity: it has no internal caller), or b's key.
      const verdicts = await probeTenantIsolation(service, `127.0.0.1:${running.grpcPort}`, {
        createBatch: {
          request: ingestV1.CreateBatchRequest.fromPartial({ projectId }),
          headers: attacker,
        },
        uploadImage: {
          request: {
            part: {
              $case: 'metadata',
              value: ingestV1.UploadImageMetadata.fromPartial({ batchId, filename: 'probe.jpg' }),
            },
          },
          headers: attacker,
        },
        closeBatch: { request: { batchId }, headers: attacker },
        getBatch: { request: { batchId }, headers: attacker },
        getImage: { request: { imageId }, headers: attacker },
      });
      expect(verdicts).toEqual(isolated(service));
    });
  });
});
