import { createLogger } from '@aperture/telemetry';
import { checkProperty, fuzzSettings, testInfraEnv, uniqueName, serviceTestEnv } from '@aperture/testing';
import * as fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type RunningIngest, startIngest } from './testing/test-ingest';

// Property-based fuzzing of the REST input validation, against the whole service on the real
// database: random JSON bodies (structured like the real ones, or anything), random raw bodies,
// random query parameters and random path ids on the projects, batches, images, api-keys and
// tenants routes. Every answer is a 2xx, or a 4xx with the API's error shape; never a 5xx. Briefly
// here (a fixed seed); longer with `scripts/fuzz --runs N [--seed S]`.

const ADMIN_TOKEN = 'fuzz-admin-token-0077';
const RUNS = 60;
const RUN_LIMIT_MS = 10_000;
/** Jest's limit for one property: every run may take its whole limit. */
const TEST_LIMIT_MS = 60_000 + fuzzSettings(RUNS).numRuns * RUN_LIMIT_MS;

/** A 2xx, or a 4xx whose body is {"error": {"code", "message", "details"?}}. */
function expectAnswer(response: request.Response, what: string): void {
  const ok = response.status >= 200 && response.status < 300;
  const clientError = response.status >= 400 && response.status < 500;
  if (!ok && !clientError) {
    throw new Error(`${what}: ${response.status} ${response.text.slice(0, 500)}`);
  }
  if (clientError) {
    expect(response.body).toEqual({
      error: {
        code: expect.stringMatching(/^[a-z_]+$/),
        message: expect.any(String),
        ...(response.body?.error?.details !== undefined && { details: expect.any(Array) }),
      },
    });
  }
}

const json = fc.jsonValue({ maxDepth: 3 });
const text = fc.string({ unit: 'binary', maxLength: 80 });
const anyOf = (...keys: string[]) =>
  fc.dictionary(fc.constantFrom(...keys), fc.oneof(json, text), { maxKeys: 4 });

const projectBody = fc.oneof(
  json,
  fc.record(
    {
      name: fc.oneof(text, json),
      policy: fc.oneof(
        json,
        fc.record(
          {
            quality: anyOf(
              'minWidth',
              'maxPixels',
              'maxBlurWidth',
              'rejectGreyscale',
              'nearDuplicateDistance',
              '$where',
            ),
            standardize: anyOf(
              'width',
              'height',
              'fit',
              'format',
              'quality',
              'aspectRatio',
              'background',
              'keepMetadata',
            ),
            compliance: anyOf('requireConsent', 'x'),
            annotation: json,
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

describe('fuzz: REST input validation', () => {
  let running: RunningIngest;
  let blobDir: string;
  let api: ReturnType<typeof request>;
  let apiKey: string;
  let projectId: string;
  let batchId: string;

  beforeAll(async () => {
    const env = testInfraEnv();
    const mongoUri = new URL(env.mongoUri);
    mongoUri.pathname = `/${uniqueName('it_ingest_fuzz').replace(/-/g, '_')}`;
    blobDir = await mkdtemp(join(tmpdir(), 'ingest-fuzz-blobs-'));
    running = await startIngest(
      serviceTestEnv({ ...env, mongoUri: mongoUri.toString() }, blobDir, {
        ADMIN_TOKEN,
        RATE_LIMIT_PER_SECOND: '100000',
        RATE_LIMIT_BURST: '100000',
        KAFKA_GROUP_ID: uniqueName('it-fuzz-tallies'),
      }),
      createLogger('ingest', { level: 'fatal' }),
    );
    api = request(`http://127.0.0.1:${running.httpPort}`);
    const tenant = await api.post('/v1/tenants').set('x-admin-token', ADMIN_TOKEN).send({ name: 'fuzz' });
    apiKey = String(tenant.body.apiKey);
    projectId = String(
      (await api.post('/v1/projects').set('x-api-key', apiKey).send({ name: 'p' })).body.projectId,
    );
    batchId = String(
      (await api.post('/v1/batches').set('x-api-key', apiKey).send({ projectId })).body.batchId,
    );
  });

  afterAll(async () => {
    await running?.pipeline.connection.dropDatabase();
    await running?.stop();
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  it(
    'answers random JSON bodies on every route that takes one with a 2xx or a shaped 4xx',
    async () => {
      const batchBody = fc.oneof(
        json,
        fc.record(
          {
            projectId: fc.oneof(fc.constant(projectId), text, json),
            idempotencyKey: fc.oneof(text, json),
            declarations: fc.oneof(json, anyOf('region', 'consentIds', 'x')),
          },
          { requiredKeys: [] },
        ),
      );
      const calls = fc.oneof(
        projectBody.map((body) => ['POST /v1/projects', body] as const),
        projectBody.map((body) => ['PUT /v1/projects/:id/policy', body] as const),
        batchBody.map((body) => ['POST /v1/batches', body] as const),
        fc
          .oneof(json, fc.record({ name: fc.oneof(text, json) }))
          .map((body) => ['POST /v1/tenants', body] as const),
      );
      await checkProperty(
        'rest-json-bodies',
        fc.asyncProperty(calls, async ([route, body]) => {
          const path = route.split(' ')[1]!.replace(':id', projectId);
          const call = route.startsWith('PUT') ? api.put(path) : api.post(path);
          const response = await call
            .set('x-api-key', apiKey)
            .set('x-admin-token', ADMIN_TOKEN)
            .set('content-type', 'application/json')
            .send(JSON.stringify(body) ?? 'null');
          expectAnswer(response, `${route} ${JSON.stringify(body)}`);
        }),
        { defaultRuns: RUNS, timeoutMs: RUN_LIMIT_MS },
      );
    },
    TEST_LIMIT_MS,
  );

  it(
    'answers random raw bodies, query parameters and path ids with a 2xx or a shaped 4xx',
    async () => {
      const cases = fc.oneof(
        fc.record({ kind: fc.constant('raw' as const), body: fc.string({ unit: 'binary', maxLength: 200 }) }),
        fc.record({
          kind: fc.constant('query' as const),
          query: fc.dictionary(
            fc.string({ maxLength: 12 }),
            fc.oneof(text, fc.array(text, { maxLength: 3 })),
            {
              maxKeys: 4,
            },
          ),
        }),
        fc.record({
          kind: fc.constant('id' as const),
          route: fc.constantFrom(
            'GET /v1/projects/:id',
            'GET /v1/batches/:id',
            'GET /v1/batches/:id/images',
            'POST /v1/batches/:id/close',
            'GET /v1/images/:id',
            'DELETE /v1/api-keys/:id',
          ),
          id: fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }),
        }),
      );
      await checkProperty(
        'rest-raw-query-ids',
        fc.asyncProperty(cases, async (input) => {
          let response: request.Response;
          if (input.kind === 'raw') {
            response = await api
              .post('/v1/batches')
              .set('x-api-key', apiKey)
              .set('content-type', 'application/json')
              .send(input.body);
          } else if (input.kind === 'query') {
            response = await api
              .get(`/v1/batches/${batchId}/images`)
              .set('x-api-key', apiKey)
              .query(input.query);
          } else {
            const [method, template] = input.route.split(' ') as [string, string];
            const path = template.replace(':id', encodeURIComponent(input.id));
            response = await api[method.toLowerCase() as 'get'](path).set('x-api-key', apiKey);
          }
          expectAnswer(response, JSON.stringify(input));
        }),
        { defaultRuns: RUNS, timeoutMs: RUN_LIMIT_MS },
      );
    },
    TEST_LIMIT_MS,
  );
});
