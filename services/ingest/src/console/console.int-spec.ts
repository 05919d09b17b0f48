import { createLogger } from '@aperture/telemetry';
import { corpusPath, freePort, testInfraEnv, uniqueName, waitFor, serviceTestEnv } from '@aperture/testing';
import * as http from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { type RunningIngest, startIngest } from '../testing/test-ingest';

// ingest's console routes in-process, against the real broker and MongoDB-wire server: the session
// cookie, CSRF, live streams, image bytes and tenant isolation. (The pages themselves, in Chromium
// against all five services: services/e2e/src/console.int-spec.ts.)

const ADMIN_TOKEN = 'it-console-admin-token';
const photo = join(corpusPath(), 'formats/320x240.jpg');

/** The events of a text/event-stream, as they arrive. */
function openStream(url: string, cookie: string) {
  const events: unknown[] = [];
  let ended = false;
  let status = 0;
  let contentType = '';
  const req = http.get(url, { headers: { cookie } }, (response) => {
    status = response.statusCode ?? 0;
    contentType = String(response.headers['content-type']);
    let buffer = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)));
      }
    });
    response.on('end', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  return {
    events,
    get ended() {
      return ended;
    },
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    close: () => req.destroy(),
  };
}

describe('ingest: the web console routes', () => {
  let running: RunningIngest;
  let api: ReturnType<typeof request>;
  let base: string;
  let workDir: string;
  const tenants: Record<'a' | 'b', { apiKey: string; tenantId: string }> = {} as never;
  let cookie: string;
  let annotatorCookie: string;
  let projectId: string;
  let batchId: string;
  let imageId: string;

  beforeAll(async () => {
    const env = testInfraEnv();
    const mongoUri = new URL(env.mongoUri);
    mongoUri.pathname = `/${uniqueName('it_console').replace(/-/g, '_')}`;
    workDir = await mkdtemp(join(tmpdir(), 'ingest-console-it-'));
    // A stand-in build of the console, and neighbours that do not answer.
    await mkdir(join(workDir, 'web/assets'), { recursive: true });
    await writeFile(join(workDir, 'web/index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(workDir, 'web/assets/app-abc123.js'), 'console.log(1)');
    const closed = await freePort();
    running = await startIngest(
      serviceTestEnv({ ...env, mongoUri: mongoUri.toString() }, join(workDir, 'blobs'), {
        ADMIN_TOKEN,
        CONSOLE_DIR: join(workDir, 'web'),
        ANNOTATION_ROUTER_URL: `http://127.0.0.1:${closed}`,
        CAMPAIGNS_URL: `http://127.0.0.1:${closed}`,
        COMPLIANCE_GRPC_ADDRESS: `127.0.0.1:${closed}`,
        KAFKA_GROUP_ID: uniqueName('it-console-tallies'),
      }),
      createLogger('ingest', { level: 'warn' }),
    );
    base = `http://127.0.0.1:${running.httpPort}`;
    api = request(base);
    for (const name of ['a', 'b'] as const) {
      const created = await api
        .post('/v1/tenants')
        .set('x-admin-token', ADMIN_TOKEN)
        .send({ name })
        .expect(201);
      tenants[name] = created.body as { apiKey: string; tenantId: string };
    }
    projectId = (
      await api.post('/v1/projects').set('x-api-key', tenants.a.apiKey).send({ name: 'p' }).expect(201)
    ).body.projectId as string;
    batchId = (
      await api.post('/v1/batches').set('x-api-key', tenants.a.apiKey).send({ projectId }).expect(201)
    ).body.batchId as string;
  });

  afterAll(async () => {
    await running?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('serves the built console at /console/: the page revalidated, hashed assets cached for good', async () => {
    const page = await api.get('/console/').expect(200);
    expect(page.text).toContain('<title>console</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const asset = await api.get('/console/assets/app-abc123.js').expect(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('opens a session for a valid key only, naming what is wrong; the cookie is a random id, not the key', async () => {
    const missing = await api.post('/console/session').send({}).expect(401);
    expect(missing.body.error.message).toBe('missing apiKey: sign in with the tenant API key');
    const role = await api
      .post('/console/session')
      .send({ apiKey: tenants.a.apiKey, role: 'admin' })
      .expect(400);
    expect(role.body.error.details[0].field).toBe('role');
    await api.post('/console/session').send({ apiKey: 'apk_not_a_key_at_all' }).expect(401);

    const opened = await api.post('/console/session').send({ apiKey: tenants.a.apiKey }).expect(200);
    expect(opened.body).toEqual({ tenantId: tenants.a.tenantId, role: 'client' });
    const setCookie = String(opened.headers['set-cookie']);
    expect(setCookie).toMatch(
      /^aperture_console=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    expect(setCookie).not.toContain(tenants.a.apiKey);
    cookie = setCookie.split(';')[0]!;

    // An annotator signs in with its own token (created by the tenant), never the tenant's key.
    const created = await api
      .post('/v1/annotators')
      .set('x-api-key', tenants.a.apiKey)
      .send({ name: 'alice' })
      .expect(201);
    const { annotatorId, token } = created.body as { annotatorId: string; token: string };
    expect(token).toMatch(/^atk_/);
    const withKey = await api
      .post('/console/session')
      .send({ apiKey: tenants.a.apiKey, role: 'annotator' })
      .expect(401);
    expect(withKey.body.error.message).toMatch(/annotator token/);
    const overTls = await api
      .post('/console/session')
      .set('x-forwarded-proto', 'https')
      .send({ annotatorToken: token })
      .expect(200);
    expect(overTls.body).toEqual({ tenantId: tenants.a.tenantId, role: 'annotator', annotatorId });
    expect(String(overTls.headers['set-cookie'])).toMatch(/; Secure$/);
    annotatorCookie = String(overTls.headers['set-cookie']).split(';')[0]!;
    expect((await api.get('/console/session').set('cookie', annotatorCookie).expect(200)).body).toEqual({
      tenantId: tenants.a.tenantId,
      role: 'annotator',
      annotatorId,
    });
    // ... and cannot become client with it.
    await api.post('/console/session').send({ annotatorToken: token, role: 'client' }).expect(401);

    // Signing out deletes the session: the same cookie, replayed, is refused.
    const other = String(
      (await api.post('/console/session').send({ apiKey: tenants.a.apiKey }).expect(200)).headers[
        'set-cookie'
      ],
    ).split(';')[0]!;
    const closed = await api
      .delete('/console/session')
      .set('cookie', other)
      .set('x-aperture-console', '1')
      .expect(204);
    expect(String(closed.headers['set-cookie'])).toMatch(/^aperture_console=; Max-Age=0;/);
    await api.get('/console/session').set('cookie', other).expect(401);
    await api.get('/console/session').set('cookie', cookie).expect(200);
  });

  it('refuses a sign-in forged cross-site (login CSRF): a form post, a foreign Origin, a cross-site fetch', async () => {
    const form = await api
      .post('/console/session')
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('origin', 'https://evil.example')
      .send(`apiKey=${encodeURIComponent(tenants.b.apiKey)}`)
      .expect(403);
    expect(form.headers['set-cookie']).toBeUndefined();
    expect(form.body.error.code).toBe('forbidden');
    await api
      .post('/console/session')
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ apiKey: tenants.b.apiKey }))
      .expect(403);
    await api
      .post('/console/session')
      .set('origin', 'https://evil.example')
      .send({ apiKey: tenants.b.apiKey })
      .expect(403);
    await api
      .post('/console/session')
      .set('sec-fetch-site', 'cross-site')
      .send({ apiKey: tenants.b.apiKey })
      .expect(403);
    // The console page itself: same origin.
    await api
      .post('/console/session')
      .set('origin', base)
      .set('sec-fetch-site', 'same-origin')
      .send({ apiKey: tenants.b.apiKey })
      .expect(200);
  });

  it('ends sessions at once when their annotator or key is revoked', async () => {
    const { annotatorId, token } = (
      await api.post('/v1/annotators').set('x-api-key', tenants.b.apiKey).send({ name: 'bob' }).expect(201)
    ).body as { annotatorId: string; token: string };
    const listed = await api.get('/v1/annotators').set('x-api-key', tenants.b.apiKey).expect(200);
    expect(listed.body.annotators).toEqual([
      expect.objectContaining({ annotatorId, name: 'bob', revokedAt: null, prefix: token.slice(0, 12) }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    // Another tenant cannot see or revoke it.
    expect(
      (await api.get('/v1/annotators').set('x-api-key', tenants.a.apiKey).expect(200)).body.annotators,
    ).not.toContainEqual(expect.objectContaining({ annotatorId }));
    await api.delete(`/v1/annotators/${annotatorId}`).set('x-api-key', tenants.a.apiKey).expect(404);
    const session = String(
      (await api.post('/console/session').send({ annotatorToken: token }).expect(200)).headers['set-cookie'],
    ).split(';')[0]!;
    await api.get('/console/session').set('cookie', session).expect(200);
    // An annotator session stays inside the console.
    await api.get('/v1/annotators').set('cookie', session).expect(403);
    await api.delete(`/v1/annotators/${annotatorId}`).set('x-api-key', tenants.b.apiKey).expect(204);
    await api.get('/console/session').set('cookie', session).expect(401);
    await api.post('/console/session').send({ annotatorToken: token }).expect(401);

    // A client session ends with the key it was opened with.
    const key = (await api.post('/v1/api-keys').set('x-api-key', tenants.b.apiKey).expect(201)).body as {
      keyId: string;
      apiKey: string;
    };
    const client = String(
      (await api.post('/console/session').send({ apiKey: key.apiKey }).expect(200)).headers['set-cookie'],
    ).split(';')[0]!;
    await api.get('/console/api/batches').set('cookie', client).expect(200);
    await api.delete(`/v1/api-keys/${key.keyId}`).set('x-api-key', tenants.b.apiKey).expect(204);
    await api.get('/console/api/batches').set('cookie', client).expect(401);
  });

  it('lets the cookie stand for the key, but a change needs the CSRF header', async () => {
    await api.get(`/v1/batches/${batchId}`).set('cookie', cookie).expect(200);
    const forged = await api.post('/v1/projects').set('cookie', cookie).send({ name: 'forged' }).expect(403);
    expect(forged.body.error).toEqual({
      code: 'forbidden',
      message: 'a console request that changes something needs the header x-aperture-console: 1',
    });
    await api
      .post('/v1/projects')
      .set('cookie', cookie)
      .set('x-aperture-console', '1')
      .send({ name: 'q' })
      .expect(201);
    const annotator = await api
      .post('/v1/projects')
      .set('cookie', annotatorCookie)
      .set('x-aperture-console', '1')
      .send({ name: 's' })
      .expect(403);
    expect(annotator.body.error.message).toBe('an annotator session is for the console only');
    // An explicit key is a script, not the page: no CSRF header needed.
    await api.post('/v1/projects').set('x-api-key', tenants.a.apiKey).send({ name: 'r' }).expect(201);
  });

  it('streams a batch: the counts now, then each change (an upload) as an event', async () => {
    const stream = openStream(`${base}/console/api/batches/${batchId}/events`, cookie);
    try {
      await waitFor('the first event', () => stream.events.length === 1, 10_000);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toBe('text/event-stream; charset=utf-8');
      expect(stream.events[0]).toMatchObject({ batchId, counts: { uploaded: 0 }, processingByStage: {} });
      const uploaded = await api
        .post(`/v1/batches/${batchId}/images`)
        .set('x-api-key', tenants.a.apiKey)
        .attach('file', photo)
        .expect(201);
      imageId = uploaded.body.images[0].imageId as string;
      await waitFor('the upload as an event', () => stream.events.length === 2, 10_000);
      expect(stream.events[1]).toMatchObject({
        counts: { uploaded: 1, processing: 1 },
        processingByStage: { ingest: 1 },
      });
    } finally {
      stream.close();
    }
  });

  it('answers image bytes by role: raw for clients only; nothing that is not there yet', async () => {
    const raw = await api.get(`/console/api/images/${imageId}/raw`).set('cookie', cookie).expect(200);
    expect(Buffer.compare(raw.body as Buffer, await readFile(photo))).toBe(0);
    expect(raw.headers['etag']).toMatch(/^"raw\/sha256\//);
    await api
      .get(`/console/api/images/${imageId}/raw`)
      .set('if-none-match', String(raw.headers['etag']))
      .set('cookie', cookie)
      .expect(304);
    const refused = await api
      .get(`/console/api/images/${imageId}/raw`)
      .set('cookie', annotatorCookie)
      .expect(403);
    expect(refused.body.error.message).toBe('an annotator session may not see raw uploads');
    const none = await api.get(`/console/api/images/${imageId}/thumbnail`).set('cookie', cookie).expect(404);
    expect(none.body.error.message).toContain('has no thumbnail yet');
    await api.get(`/console/api/images/${imageId}/original`).set('cookie', cookie).expect(404);
    const detail = await api.get(`/console/api/images/${imageId}`).set('cookie', annotatorCookie).expect(200);
    expect(detail.body).toMatchObject({ imageId, canSeeRaw: false, duplicateOf: null, traceUrl: null });
    expect(
      (detail.body as { checks: Array<{ setting: string }> }).checks.map((check) => check.setting),
    ).toContain('quality.maxBlurWidth');
  });

  it("serves an erased image's bytes on no route, though another tenant holds the same bytes", async () => {
    // A and another tenant upload the same file: one content-addressed raw blob.
    const c = (
      await api.post('/v1/tenants').set('x-admin-token', ADMIN_TOKEN).send({ name: 'c' }).expect(201)
    ).body as { apiKey: string };
    const batchB = (
      await api.post('/v1/projects').set('x-api-key', c.apiKey).send({ name: 'pb' }).expect(201)
    ).body.projectId as string;
    const bBatch = (
      await api.post('/v1/batches').set('x-api-key', c.apiKey).send({ projectId: batchB }).expect(201)
    ).body.batchId as string;
    const theirs = (
      await api
        .post(`/v1/batches/${bBatch}/images`)
        .set('x-api-key', c.apiKey)
        .attach('file', photo)
        .expect(201)
    ).body.images[0] as { imageId: string; raw: { key: string } };
    const mine = (await api.get(`/v1/images/${imageId}`).set('x-api-key', tenants.a.apiKey).expect(200))
      .body as {
      raw: { key: string };
    };
    expect(theirs.raw.key).toBe(mine.raw.key);
    // A's image erased as compliance erases it (the tombstone); B still holds the bytes, so they stay.
    await running.pipeline.records.tombstone(
      imageId,
      {
        erasureId: 'ers_it',
        reason: 'request',
        erasedAt: new Date(),
        previousStatus: 'processing',
        blobKeys: [],
      },
      [],
    );
    expect(await running.blobs.exists(mine.raw.key)).toBe(true);
    for (const kind of ['raw', 'after', 'thumbnail']) {
      const url = `/console/api/images/${imageId}/${kind}`;
      const answer = await api.get(url).set('x-api-key', tenants.a.apiKey);
      expect({ url, status: answer.status }).toEqual({ url, status: 404 });
    }
    await api.get(`/console/api/images/${theirs.imageId}/raw`).set('x-api-key', c.apiKey).expect(200);
  });

  it('says which neighbour is down rather than failing blind', async () => {
    const audit = await api.get(`/console/api/images/${imageId}/audit`).set('cookie', cookie).expect(503);
    expect(audit.body.error.code).toBe('unavailable');
    expect(audit.body.error.message).toMatch(/^the audit trail is unavailable \(compliance: /);
    const lease = await api
      .post('/console/api/tasks/lease')
      .set('cookie', cookie)
      .set('x-aperture-console', '1')
      .send({ projectId })
      .expect(503);
    expect(lease.body.error.message).toMatch(/^annotation-router is unavailable/);
    // The campaign stream answers 503 before it opens, not an open stream of failures.
    for (const url of ['/console/api/campaigns', '/console/api/campaigns/cmp_x/events']) {
      const campaigns = await api.get(url).set('cookie', cookie).expect(503);
      expect(campaigns.body.error.message).toMatch(/^campaigns is unavailable/);
    }
  });

  it("shows another tenant nothing of this one's", async () => {
    const other = { 'x-api-key': tenants.b.apiKey };
    for (const url of [
      `/console/api/batches/${batchId}`,
      `/console/api/batches/${batchId}/events`,
      `/console/api/images/${imageId}`,
      `/console/api/images/${imageId}/raw`,
      `/console/api/images/${imageId}/audit`,
      `/console/api/projects/${projectId}/report`,
    ])
      expect({ url, status: (await api.get(url).set(other)).status }).toEqual({ url, status: 404 });
    expect((await api.get('/console/api/batches').set(other).expect(200)).body).toEqual({ batches: [] });
    expect((await api.get('/console/api/projects').set(other).expect(200)).body).toEqual({ projects: [] });
    const own = await api.get('/console/api/batches').set('x-api-key', tenants.a.apiKey).expect(200);
    expect(
      (own.body as { batches: Array<{ batchId: string }> }).batches.map((batch) => batch.batchId),
    ).toEqual([batchId]);
  });

  it('ends open streams when it shuts down, so a browser tab never holds ingest up', async () => {
    const stream = openStream(`${base}/console/api/batches/events`, cookie);
    await waitFor('the list event', () => stream.events.length === 1, 10_000);
    const stopping = running.stop();
    await waitFor('the stream ended', () => stream.ended, 10_000);
    await stopping;
    running = { stop: async () => undefined } as unknown as RunningIngest;
  });
});
