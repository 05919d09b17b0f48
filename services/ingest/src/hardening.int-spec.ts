import { ingestV1 } from '@aperture/contracts';
import { createLogger } from '@aperture/telemetry';
import {
  corpusPath,
  eventually,
  hostileCases,
  testInfraEnv,
  uniqueName,
  serviceTestEnv,
} from '@aperture/testing';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type RunningIngest, startIngest } from './testing/test-ingest';

// The API's defences, against the whole service in-process on the real broker and database:
// every route needs a key, JSON bodies are bounded, tenants are rate limited, error bodies never
// carry a secret, one tenant cannot reach another's data by any route, and every hostile file of
// the generated corpus gets its precise answer.

const ADMIN_TOKEN = 'hardening-admin-token-0042';
const MAX_JSON_BODY_BYTES = 4096;
const PHOTO = corpusPath('formats/320x240.jpg');
/** For requests refused before their body is read: small enough to be sent whole regardless. */
const SMALL = corpusPath('formats/with-alpha.png');

/** Routes anyone may call: health, readiness, metrics and the OpenAPI document with its UI. */
const PUBLIC_ROUTE = /^\/(healthz|readyz|metrics|openapi\.json|docs)(\/|$|-)/;
const ADMIN_ROUTES = new Set(['POST /v1/tenants']);
/**
 * The console's task and campaign routes pass the caller's key on to annotation-router and
 * campaigns, which check the tenant themselves (their own isolation tests, and
 * services/e2e/src/console.int-spec.ts); neither runs here, so they answer 503.
 */
const FORWARDED_ROUTES = new Set([
  'POST /console/api/tasks/lease',
  'GET /console/api/tasks/:taskId/image',
  'POST /console/api/tasks/:taskId/result',
  'GET /console/api/campaigns',
  'GET /console/api/campaigns/:id',
  'GET /console/api/campaigns/:id/collectors',
  'GET /console/api/campaigns/:id/events',
]);
/** Server-sent event streams: they never end, so their first event is what is read. */
const STREAM_ROUTES = new Set(['GET /console/api/batches/events']);

interface Route {
  method: string;
  path: string;
}

/** Every route registered on the Express router (what Nest mapped, Swagger's included). */
function registeredRoutes(running: RunningIngest): Route[] {
  const express = running.app.getHttpAdapter().getInstance() as {
    router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
  };
  return express.router.stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods)
          .filter((method) => method !== '_all')
          .map((method) => ({ method: method.toUpperCase(), path: layer.route!.path }))
      : [],
  );
}

const routeKey = (route: Route) => `${route.method} ${route.path}`;
/** A path with each `:param` replaced. */
const fill = (path: string, value: string) => path.replace(/:[A-Za-z]+/g, value);

async function startTestIngest(dbName: string, blobDir: string, env: Record<string, string> = {}) {
  const infra = testInfraEnv();
  const mongoUri = new URL(infra.mongoUri);
  mongoUri.pathname = `/${dbName}`;
  return startIngest(
    serviceTestEnv({ ...infra, mongoUri: mongoUri.toString() }, blobDir, {
      ADMIN_TOKEN,
      MAX_JSON_BODY_BYTES: String(MAX_JSON_BODY_BYTES),
      KAFKA_GROUP_ID: dbName,
      ...env,
    }),
    createLogger('ingest', { level: 'fatal' }),
  );
}

describe('ingest hardening', () => {
  const dbName = uniqueName('it_ingest_hardening').replace(/-/g, '_');
  let running: RunningIngest;
  let blobDir: string;
  let api: ReturnType<typeof request>;

  interface TenantFixture {
    tenantId: string;
    apiKey: string;
    keyId: string;
    projectId: string;
    projectName: string;
    idempotencyKey: string;
    batchId: string;
    imageId: string;
    filename: string;
    sha256: string;
  }

  async function createTenant(name: string, photo = PHOTO): Promise<TenantFixture> {
    const tenant = await api.post('/v1/tenants').set('x-admin-token', ADMIN_TOKEN).send({ name });
    expect(tenant.status).toBe(201);
    const apiKey = String(tenant.body.apiKey);
    const projectName = `${name} private project`;
    const project = await api
      .post('/v1/projects')
      .set('x-api-key', apiKey)
      .send({ name: projectName, policy: { quality: { minWidth: 77 } } });
    expect(project.status).toBe(201);
    const idempotencyKey = 'shared-idempotency-key';
    const batch = await api
      .post('/v1/batches')
      .set('x-api-key', apiKey)
      .send({ projectId: project.body.projectId, idempotencyKey, declarations: { region: 'EU' } });
    expect(batch.status).toBe(201);
    const filename = `${name}-secret-name.jpg`;
    const uploaded = await api
      .post(`/v1/batches/${batch.body.batchId}/images`)
      .set('x-api-key', apiKey)
      .attach('file', readFileSync(photo), { filename, contentType: 'image/jpeg' });
    expect(uploaded.status).toBe(201);
    const image = uploaded.body.images[0];
    return {
      tenantId: String(tenant.body.tenantId),
      apiKey,
      keyId: String(tenant.body.keyId),
      projectId: String(project.body.projectId),
      projectName,
      idempotencyKey,
      batchId: String(batch.body.batchId),
      imageId: String(image.imageId),
      filename,
      sha256: String(image.raw.sha256),
    };
  }

  beforeAll(async () => {
    blobDir = await mkdtemp(join(tmpdir(), 'ingest-hardening-blobs-'));
    running = await startTestIngest(dbName, blobDir);
    api = request(`http://127.0.0.1:${running.httpPort}`);
  });

  afterAll(async () => {
    await running?.pipeline.connection.dropDatabase();
    await running?.stop();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('enumerates the routes: the OpenAPI document names no route the router lacks', async () => {
      const routes = registeredRoutes(running).map(routeKey);
      const document = (await api.get('/openapi.json')).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
      expect(documented.length).toBeGreaterThanOrEqual(12);
      expect(documented.filter((route) => !routes.includes(route))).toEqual([]);
    });

    it('answers 401 on every route but health, readiness, metrics and the docs, without or with a wrong key', async () => {
      const guarded = registeredRoutes(running).filter((route) => !PUBLIC_ROUTE.test(route.path));
      expect(guarded.length).toBeGreaterThanOrEqual(12);
      for (const route of guarded) {
        const path = fill(route.path, 'img_0000000000000000000000');
        for (const headers of [
          {},
          { 'x-api-key': 'apk_wrongwrongwrongwrongwrongwrongwr' },
          // An admin token is not an API key, and an API key is not an admin token.
          ADMIN_ROUTES.has(routeKey(route)) ? { 'x-api-key': ADMIN_TOKEN } : { 'x-admin-token': ADMIN_TOKEN },
        ]) {
          const call = api[route.method.toLowerCase() as 'get'](path).set(headers);
          const response = await (route.path.endsWith('/images') && route.method === 'POST'
            ? call.attach('file', readFileSync(SMALL), 'photo.png')
            : call.send({ name: 'x', projectId: 'prj_x' }));
          expect({ route: routeKey(route), status: response.status, body: response.body }).toEqual({
            route: routeKey(route),
            status: 401,
            body: { error: { code: 'unauthenticated', message: expect.any(String) } },
          });
        }
      }
      // The public ones answer without a key.
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
        expect((await api.get(path)).status).toBe(200);
      }
    });
  });

  describe('limits and error bodies', () => {
    let tenant: TenantFixture;
    beforeAll(async () => {
      tenant = await createTenant('limits');
    });

    it('refuses a JSON body over MAX_JSON_BODY_BYTES with 413 too_large naming the limit', async () => {
      const response = await api
        .post('/v1/projects')
        .set('x-api-key', tenant.apiKey)
        .send({ name: 'big', policy: { quality: {}, padding: 'x'.repeat(MAX_JSON_BODY_BYTES) } });
      expect(response.status).toBe(413);
      expect(response.body).toEqual({
        error: {
          code: 'too_large',
          message: `the request body is larger than the limit of ${MAX_JSON_BODY_BYTES} bytes`,
        },
      });
      // Just under the limit is parsed (and validated).
      const under = await api
        .post('/v1/projects')
        .set('x-api-key', tenant.apiKey)
        .send({ name: 'n'.repeat(MAX_JSON_BODY_BYTES - 100) });
      expect(under.status).toBe(400);
      expect(under.body.error.code).toBe('invalid_request');
    });

    it('never echoes the API key or the admin token, nor a stack trace, in an error body', async () => {
      const { apiKey } = tenant;
      const asTenant = (call: request.Test) => call.set('x-api-key', apiKey);
      const responses = [
        // Malformed JSON that holds the secrets: the parser's message would quote them.
        await asTenant(api.post('/v1/projects'))
          .set('content-type', 'application/json')
          .send(`{"name": "${apiKey}", "x": "${ADMIN_TOKEN}" oops`),
        await asTenant(api.post('/v1/projects'))
          .set('content-type', 'application/json')
          .send(`${apiKey}${ADMIN_TOKEN}`),
        // Secrets as values and as names of unknown properties.
        await asTenant(api.post('/v1/projects')).send({ name: 7, [apiKey]: ADMIN_TOKEN, token: apiKey }),
        await asTenant(api.post('/v1/batches')).send({ projectId: apiKey, idempotencyKey: ADMIN_TOKEN }),
        await asTenant(api.put(`/v1/projects/${apiKey}/policy`)).send({ [ADMIN_TOKEN]: apiKey }),
        // Secrets in the path and the query.
        await asTenant(api.get(`/v1/images/${apiKey}`)),
        await asTenant(api.get(`/v1/images/${ADMIN_TOKEN}`)),
        await asTenant(api.get(`/v1/nothing/${apiKey}/${ADMIN_TOKEN}`)),
        await asTenant(api.get(`/v1/batches/${tenant.batchId}/images`)).query({
          cursor: apiKey,
          limit: ADMIN_TOKEN,
          [apiKey]: '1',
        }),
        // Wrong credentials that contain the right ones.
        await api.get(`/v1/batches/${tenant.batchId}`).set('x-api-key', `${apiKey}x`),
        await api.post('/v1/tenants').set('x-admin-token', `${ADMIN_TOKEN}x`).send({ name: 'n' }),
        await api
          .post('/v1/tenants')
          .set('x-admin-token', ADMIN_TOKEN)
          .send({ name: apiKey.repeat(10) }),
        // A file whose name is the key, and whose bytes are not an image.
        await asTenant(api.post(`/v1/batches/${tenant.batchId}/images`)).attach(
          'file',
          Buffer.from(`key=${apiKey} token=${ADMIN_TOKEN}`),
          { filename: `${apiKey}-${ADMIN_TOKEN}.jpg`, contentType: 'image/jpeg' },
        ),
      ];
      for (const response of responses) {
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(response.body).toEqual({
          error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
        });
        const text = response.text;
        expect(text).not.toContain(apiKey);
        expect(text).not.toContain(apiKey.slice(4)); // the key's secret part
        expect(text).not.toContain(ADMIN_TOKEN);
        expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
      }
    });
  });

  describe('rate limits', () => {
    let limited: RunningIngest;
    let limitedApi: ReturnType<typeof request>;
    beforeAll(async () => {
      // The same database, another process's worth of buckets with a tiny budget.
      limited = await startTestIngest(dbName, blobDir, { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
      limitedApi = request(`http://127.0.0.1:${limited.httpPort}`);
    });
    afterAll(async () => {
      await limited?.stop();
    });

    it('answers 429 rate_limited with Retry-After once a tenant spent its burst, per tenant, and lets it in again', async () => {
      const [first, second] = await Promise.all([createTenant('rate-a'), createTenant('rate-b')]);
      const get = (tenant: TenantFixture) =>
        limitedApi.get(`/v1/batches/${tenant.batchId}`).set('x-api-key', tenant.apiKey);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(first)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const refused = await get(first);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.body).toEqual({
        error: { code: 'rate_limited', message: 'too many requests for this tenant: retry in 1 s' },
      });
      // Another tenant has its own bucket.
      expect((await get(second)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await get(first)).status).toBe(200);
    });

    it('limits gRPC calls by the same budget (RESOURCE_EXHAUSTED)', async () => {
      const tenant = await createTenant('rate-grpc');
      const client = new ingestV1.IngestServiceClient(
        `127.0.0.1:${limited.grpcPort}`,
        grpc.credentials.createInsecure(),
      );
      try {
        const metadata = new grpc.Metadata();
        metadata.set('x-api-key', tenant.apiKey);
        const codes: number[] = [];
        for (let i = 0; i < 4; i++) {
          codes.push(
            await new Promise<number>((resolve) =>
              client.getBatch({ batchId: tenant.batchId }, metadata, (error) => resolve(error?.code ?? 0)),
            ),
          );
        }
        expect(codes).toEqual([0, 0, 0, grpc.status.RESOURCE_EXHAUSTED]);
      } finally {
        client.close();
      }
    });
  });

  describe('tenant isolation', () => {
    let a: TenantFixture;
    let b: TenantFixture;
    beforeAll(async () => {
      a = await createTenant('tenant-a');
      // Other bytes than A's: identical uploads share one content-addressed blob (same sha256).
      b = await createTenant('tenant-b', corpusPath('formats/flowers.jpeg'));
    });

    /** Nothing of tenant B's but the id A itself sent may appear in an answer to A. */
    function expectNoDataOfB(text: string, sentId?: string) {
      const secrets = [
        b.tenantId,
        b.apiKey,
        b.keyId,
        b.projectId,
        b.projectName,
        b.batchId,
        b.imageId,
        b.filename,
        b.sha256,
      ];
      for (const secret of secrets.filter((value) => value !== sentId)) expect(text).not.toContain(secret);
    }

    it("answers 404, exactly as for an id that does not exist, on every route given any of the other tenant's ids", async () => {
      const ids = [b.projectId, b.batchId, b.imageId, b.keyId, b.tenantId];
      const guarded = registeredRoutes(running).filter(
        (route) =>
          !PUBLIC_ROUTE.test(route.path) &&
          !ADMIN_ROUTES.has(routeKey(route)) &&
          !FORWARDED_ROUTES.has(routeKey(route)),
      );
      const covered = new Set<string>();
      const call = (route: Route, path: string) => {
        const test = api[route.method.toLowerCase() as 'get'](path).set('x-api-key', a.apiKey);
        if (route.path.endsWith('/images') && route.method === 'POST') {
          return test.attach('file', readFileSync(SMALL), 'photo.png');
        }
        if (route.path.endsWith('/policy')) return test.send({ quality: { minWidth: 1 } });
        return test;
      };
      for (const route of guarded.filter((r) => r.path.includes(':'))) {
        for (const id of ids) {
          const response = await call(route, fill(route.path, id));
          // The same id shape, nobody's: the answers must not differ except for the id itself.
          const nobody = `${id.slice(0, 4)}${'0'.repeat(id.length - 4)}`;
          const control = await call(route, fill(route.path, nobody));
          expect({ route: routeKey(route), id, status: response.status }).toEqual({
            route: routeKey(route),
            id,
            status: 404,
          });
          expect(response.body.error.code).toBe('not_found');
          expect(response.text.split(id).join(nobody)).toBe(control.text);
          expectNoDataOfB(response.text, id);
          covered.add(routeKey(route));
        }
      }

      // Routes that take ids in the body or the query.
      const createBatch = await api
        .post('/v1/batches')
        .set('x-api-key', a.apiKey)
        .send({ projectId: b.projectId });
      expect(createBatch.status).toBe(404);
      expectNoDataOfB(createBatch.text, b.projectId);
      covered.add('POST /v1/batches');
      // B's idempotency key (A used the same one) gives A its own batch, never B's.
      const sameKey = await api
        .post('/v1/batches')
        .set('x-api-key', a.apiKey)
        .send({ projectId: a.projectId, idempotencyKey: b.idempotencyKey, declarations: { region: 'EU' } });
      expect(sameKey.status).toBe(200);
      expect(sameKey.body).toMatchObject({ batchId: a.batchId, projectId: a.projectId });
      expectNoDataOfB(sameKey.text);
      // A cursor of B's does not open B's images.
      const page = await api
        .get(`/v1/batches/${a.batchId}/images`)
        .query({ cursor: b.imageId.replace(/^img_.*/, 'img_0') })
        .set('x-api-key', a.apiKey);
      expect(page.status).toBe(200);
      expectNoDataOfB(page.text);
      // Routes without ids answer A's own data only.
      let aHasBsProjectName = false;
      for (const route of guarded.filter(
        (r) => !r.path.includes(':') && !covered.has(routeKey(r)) && !STREAM_ROUTES.has(routeKey(r)),
      )) {
        // B's project name is free for A (a 409 would tell A that it exists somewhere).
        const creatingProject = route.method === 'POST' && route.path === '/v1/projects';
        const signingIn = route.method === 'POST' && route.path === '/console/session';
        const creatingAnnotator = route.method === 'POST' && route.path === '/v1/annotators';
        const response = creatingProject
          ? await call(route, route.path).send({ name: b.projectName })
          : signingIn
            ? await call(route, route.path).send({ apiKey: a.apiKey })
            : creatingAnnotator
              ? await call(route, route.path).send({ name: 'isolation probe' })
              : await call(route, route.path);
        expect({ route: routeKey(route), ok: response.status < 300 }).toEqual({
          route: routeKey(route),
          ok: true,
        });
        // Once A has made its own project of that name, A's lists name it too.
        aHasBsProjectName ||= creatingProject;
        expectNoDataOfB(response.text, aHasBsProjectName ? b.projectName : undefined);
        covered.add(routeKey(route));
      }
      for (const key of STREAM_ROUTES) {
        const stream = await fetch(`http://127.0.0.1:${running.httpPort}${key.split(' ')[1]}`, {
          headers: { 'x-api-key': a.apiKey },
        });
        expect({ key, status: stream.status }).toEqual({ key, status: 200 });
        const reader = stream.body!.getReader();
        const first = await reader.read();
        const text = Buffer.from(first.value).toString('utf8');
        expect(text).toContain(a.batchId);
        expectNoDataOfB(text);
        await reader.cancel();
        covered.add(key);
      }
      expect([...covered].sort()).toEqual(guarded.map(routeKey).sort());

      // And B's data is as it was: batch open with its one image, key live, policy unchanged.
      await eventually(async () => {
        const batch = await api.get(`/v1/batches/${b.batchId}`).set('x-api-key', b.apiKey);
        expect(batch.body).toMatchObject({ state: 'open', counts: { uploaded: 1 } });
      });
      const project = await api.get(`/v1/projects/${b.projectId}`).set('x-api-key', b.apiKey);
      expect(project.body.policy.quality.minWidth).toBe(77);
      const keys = await api.get('/v1/api-keys').set('x-api-key', b.apiKey);
      expect(keys.body.keys).toEqual([expect.objectContaining({ keyId: b.keyId, revokedAt: null })]);
    });

    it("answers NOT_FOUND over gRPC for the other tenant's batch, image and project", async () => {
      const client = new ingestV1.IngestServiceClient(
        `127.0.0.1:${running.grpcPort}`,
        grpc.credentials.createInsecure(),
      );
      const metadata = new grpc.Metadata();
      metadata.set('x-api-key', a.apiKey);
      type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
      const codeOf = (invoke: (callback: Callback) => unknown) =>
        new Promise<{ code: number; details: string }>((resolve) =>
          invoke((error) => resolve({ code: error?.code ?? 0, details: error?.details ?? '' })),
        );
      try {
        const answers = [
          await codeOf((cb) => client.getBatch({ batchId: b.batchId }, metadata, cb)),
          await codeOf((cb) => client.getImage({ imageId: b.imageId }, metadata, cb)),
          await codeOf((cb) => client.closeBatch({ batchId: b.batchId }, metadata, cb)),
          await codeOf((cb) =>
            client.createBatch(
              { projectId: b.projectId, idempotencyKey: '', declarations: undefined },
              metadata,
              cb,
            ),
          ),
          await codeOf((cb) => {
            const call = client.uploadImage(metadata, cb);
            call.write({
              part: {
                $case: 'metadata',
                value: ingestV1.UploadImageMetadata.fromPartial({ batchId: b.batchId, filename: 'x.jpg' }),
              },
            });
            call.write({ part: { $case: 'chunk', value: readFileSync(SMALL) } });
            call.end();
          }),
        ];
        for (const answer of answers) {
          expect(answer.code).toBe(grpc.status.NOT_FOUND);
          expectNoDataOfB(
            answer.details,
            [b.batchId, b.imageId, b.projectId].find((id) => answer.details.includes(id)),
          );
        }
      } finally {
        client.close();
      }
    });
  });

  describe('hostile files', () => {
    let tenant: TenantFixture;
    beforeAll(async () => {
      tenant = await createTenant('hostile');
    });

    it.each(hostileCases().map((hostile) => [hostile.name, hostile] as const))(
      '%s gets its precise answer',
      async (_name, hostile) => {
        const response = await api
          .post(`/v1/batches/${tenant.batchId}/images`)
          .set('x-api-key', tenant.apiKey)
          .attach('file', hostile.make(), { filename: hostile.filename, contentType: hostile.contentType });
        if (hostile.ingest.status === 201) {
          expect({ status: response.status, body: response.body }).toMatchObject({
            status: 201,
            body: { images: [{ status: 'processing', filename: hostile.filename }] },
          });
          // Stored as what its bytes are, whatever it was called.
          expect(response.body.images[0].raw.contentType).toMatch(
            /^image\/(jpeg|png|webp|gif|tiff|avif|heif)$/,
          );
        } else {
          expect({ status: response.status, code: response.body.error?.code }).toEqual({
            status: hostile.ingest.status,
            code: hostile.ingest.code,
          });
        }
      },
    );
  });
});
