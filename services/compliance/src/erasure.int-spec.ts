import { ChainVerifier, type ChainedEntry } from '@aperture/audit';
import { commonV1, complianceV1, Topics } from '@aperture/contracts';
import { sharp, startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { AuditLog } from './audit/audit-log';
import { complianceDeps } from './deps';
import { sweepRetention } from './retention/retention';
import { complianceStage } from './stage';
import { complianceClient, standardizedEvent } from './testing/helpers';

const PHOTO = () => readFileSync(corpusPath('cameras/jpg/Canon_40D.jpg'));
const DAY = 86_400_000;

// Consent revocation, erasure, retention and the audit chain, against the real broker and database.
describe('compliance: revocation, erasure, retention, audit', () => {
  let harness: StageHarness;
  let grpc: ReturnType<typeof complianceClient>;
  let baseUrl: string;
  let apiKey: string;

  const rest = async (method: string, path: string, body?: unknown, key = apiKey) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads answers of several shapes
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  /** Clears an image through the consumer, then marks it curated as annotation-router would. */
  let curated = 0;
  const curate = async (imageId: string, owner: Parameters<typeof standardizedEvent>[3]) => {
    // A derivative of its own (content-addressed derivatives of identical images are shared).
    curated += 1;
    const derivative = await sharp(PHOTO())
      .resize(400 + curated)
      .png()
      .toBuffer();
    const event = await standardizedEvent(harness, imageId, PHOTO(), owner, derivative);
    await harness.produce(Topics.imageStandardized, imageId, event);
    await harness.settle(imageId);
    await harness.records.model.updateOne(
      { _id: imageId },
      { $set: { status: 'curated', stage: 'annotation-router', settledAt: new Date() } },
    );
    return (await harness.records.get(imageId))!;
  };
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const erasureDone = (erasureId: string, tenantId = 't1') =>
    waitFor(
      `erasure ${erasureId}`,
      async () => (await complianceDeps(harness.ctx).erasures.get(tenantId, erasureId))?.state === 'done',
    );

  beforeAll(async () => {
    harness = await startStageHarness(complianceStage, [
      Topics.imageCleared,
      Topics.imageRejected,
      Topics.imageCurated,
      Topics.imageErased,
    ]);
    await harness.createProject('t1', 'p1', {});
    await harness.createProject('t1', 'kept30', { compliance: { rawRetentionDays: 30 } });
    await harness.createProject('t2', 'p2', {});
    grpc = complianceClient(harness);
    baseUrl = `http://127.0.0.1:${harness.stage.httpPort}`;
    apiKey = await harness.createApiKey('t1');
  }, 120_000);
  afterAll(async () => {
    grpc?.close();
    await harness?.close();
  });

  it('revocation stops images in flight and erases curated ones; later uploads relying on it are refused', async () => {
    const registered = await rest('POST', '/v1/consents', {
      subjectRef: 'subj-9',
      scopes: ['faces'],
      purpose: 'training',
    });
    expect(registered.status).toBe(201);
    const consentId = registered.body['consent'].consentId as string;
    const owner = { tenantId: 't1', projectId: 'p1', consentIds: [consentId] };

    const curated = await curate(`img_rv_cur_${Date.now()}`, owner);
    const inFlight = `img_rv_fly_${Date.now()}`;
    const flightEvent = await standardizedEvent(harness, inFlight, PHOTO(), owner); // standardized, not yet seen by compliance

    const revoked = await rest('POST', `/v1/consents/${consentId}/revoke`);
    expect(revoked).toMatchObject({
      status: 200,
      body: { consent: { revoked: true }, stopped: 1, erasureId: expect.stringMatching(/^ers_/) },
    });
    await erasureDone(revoked.body['erasureId'] as string);

    // In flight: rejected, announced; the stage's own message finds it settled and does nothing.
    expect(await harness.records.get(inFlight)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'consent_revoked' }],
    });
    await harness.produce(Topics.imageStandardized, inFlight, flightEvent);
    await harness.settle(inFlight);
    const rejected = harness
      .received(Topics.imageRejected, inFlight)
      .map((bytes) => commonV1.ImageRejected.decode(bytes));
    expect(rejected).toEqual([
      expect.objectContaining({ reasons: [expect.objectContaining({ code: 'consent_revoked' })] }),
    ]);
    expect(harness.received(Topics.imageCleared, inFlight)).toHaveLength(0);

    // Curated: erased, with a tombstone on the curated topic and an image.erased event.
    await harness.settle(curated._id);
    expect(await harness.records.get(curated._id)).toMatchObject({
      status: 'erased',
      erasure: { reason: 'consent_revoked' },
    });
    expect(harness.tombstones(Topics.imageCurated, curated._id)).toBe(1);
    expect(
      complianceV1.ImageErased.decode(harness.received(Topics.imageErased, curated._id)[0]!),
    ).toMatchObject({
      imageId: curated._id,
      reason: 'consent_revoked',
    });

    // A new image declaring it is refused at compliance.
    const late = `img_rv_late_${Date.now()}`;
    await harness.produce(
      Topics.imageStandardized,
      late,
      await standardizedEvent(harness, late, PHOTO(), owner),
    );
    await harness.settle(late);
    expect(await harness.records.get(late)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'consent_revoked' }],
    });
    // Revoking again does nothing twice.
    expect((await rest('POST', `/v1/consents/${consentId}/revoke`)).body).toMatchObject({
      stopped: 0,
      erasureId: '',
    });
  }, 180_000);

  it('erasure by batch deletes every blob, leaves tombstones, survives a crash half-way, and is idempotent', async () => {
    const batchId = `batch_er_${Date.now()}`;
    const owner = { tenantId: 't1', projectId: 'p1', batchId };
    const images = [
      await curate(`img_er_a_${Date.now()}`, owner),
      await curate(`img_er_b_${Date.now()}`, owner),
    ];
    const blobsOf = (imageId: string) =>
      harness.records.get(imageId).then((record) => {
        const stages = record!.stages as Record<string, Record<string, { key: string }>>;
        return [
          record!.raw.key,
          stages['standardize']!['derivative']!.key,
          stages['compliance']!['cleared']!.key,
          stages['compliance']!['clearedThumbnail']!.key,
        ];
      });
    const keys = (await Promise.all(images.map((image) => blobsOf(image._id)))).flat();
    for (const key of keys) expect(await harness.ctx.blobs.exists(key)).toBe(true);

    // A crash half-way: the request stored, the first image's tombstone written, the process gone.
    const { erasures } = complianceDeps(harness.ctx);
    await erasures.model.create({
      _id: 'ers_crashed',
      tenantId: 't1',
      imageId: '',
      batchId,
      consentId: '',
      reason: 'request',
      actor: 'api-key',
      state: 'pending',
      imageIds: images.map((image) => image._id),
      erased: [],
      requestedAt: new Date(),
      completedAt: null,
    });
    await harness.records.tombstone(
      images[0]!._id,
      {
        erasureId: 'ers_crashed',
        reason: 'request',
        erasedAt: new Date(),
        previousStatus: 'curated',
        blobKeys: await blobsOf(images[0]!._id),
      },
      [],
    );
    expect(await erasures.resumePending()).toBeGreaterThanOrEqual(1);
    for (const key of keys) expect(await harness.ctx.blobs.exists(key)).toBe(false);
    for (const image of images) {
      const tombstone = await harness.records.get(image._id);
      expect(tombstone).toMatchObject({
        status: 'erased',
        filename: '',
        stages: {},
        raw: { sha256: image.raw.sha256 },
      });
    }
    expect(await erasures.get('t1', 'ers_crashed')).toMatchObject({
      state: 'done',
      erased: images.map((image) => image._id),
    });

    // Asked again over REST: done at once, nothing left to delete, no second event.
    const again = await rest('POST', '/v1/erasures', { batchId });
    expect(again.status).toBe(202);
    await erasureDone(again.body['erasure'].erasureId as string);
    await harness.settle(images[1]!._id);
    expect(harness.tombstones(Topics.imageCurated, images[1]!._id)).toBe(1);
    expect(harness.received(Topics.imageErased, images[1]!._id)).toHaveLength(1);
    const trail = await grpc.getAuditTrail({ tenantId: 't1', imageId: images[0]!._id });
    expect(trail.entries.map((entry) => entry.outcome)).toEqual(['cleared', 'erased']);
  }, 180_000);

  it('keeps a raw upload another image still holds, and refuses what the tenant does not own', async () => {
    const mine = await curate(`img_sh_1_${Date.now()}`, { tenantId: 't1', projectId: 'p1' });
    const theirs = `img_sh_2_${Date.now()}`;
    await harness.createImage(theirs, PHOTO(), { tenantId: 't2', projectId: 'p2' });
    // Identical uploads share one content-addressed raw blob.
    await harness.records.model.updateOne({ _id: theirs }, { $set: { raw: mine.raw } });

    expect((await rest('POST', '/v1/erasures', { imageId: theirs })).status).toBe(404);
    expect((await rest('POST', '/v1/erasures', {})).status).toBe(400);
    expect((await rest('GET', '/v1/audit', undefined, 'ak_not_a_key_at_all')).status).toBe(401);
    const { erasure } = await grpc.requestErasure({
      tenantId: 't1',
      imageId: mine._id,
      batchId: '',
      consentId: '',
    });
    await erasureDone(erasure!.erasureId);
    expect(await harness.ctx.blobs.exists(mine.raw.key)).toBe(true);
    expect(await harness.records.get(theirs)).toMatchObject({ status: 'processing' });
    // t1's audit says its image's blobs are erased, and nothing of who else holds the same bytes.
    const [entry] = (await grpc.getAuditTrail({ tenantId: 't1', imageId: mine._id })).entries.filter(
      (candidate) => candidate.outcome === 'erased',
    );
    expect(entry!.detail).toMatch(/^was curated; its \d+ blob\(s\) erased$/);
    // An unknown consent, like an unknown image or batch, is a 404 (it was a 202 erasing nothing).
    expect((await rest('POST', '/v1/erasures', { consentId: 'cns_000000000000000000000000' })).status).toBe(
      404,
    );
    expect((await rest('POST', '/v1/erasures', { batchId: 'bat_unknown' })).status).toBe(404);
  }, 120_000);

  it('retention deletes raw uploads N days after the image settled, not before', async () => {
    const now = Date.now();
    const old = `img_rt_old_${now}`;
    const recent = `img_rt_new_${now}`;
    for (const [imageId, age] of [
      [old, 31],
      [recent, 10],
    ] as const) {
      await harness.createImage(imageId, Buffer.from(`raw bytes of ${imageId}`), {
        tenantId: 't1',
        projectId: 'kept30',
      });
      await harness.records.model.updateOne(
        { _id: imageId },
        { $set: { status: 'curated', settledAt: new Date(now - age * DAY) } },
      );
    }
    const rawKey = async (imageId: string) => (await harness.records.get(imageId))!.raw.key;
    const audit = new AuditLog(harness.ctx.pipeline.connection);

    expect(await sweepRetention(harness.ctx, audit, new Date(now))).toEqual({ deleted: 1, released: 0 });
    expect(await harness.ctx.blobs.exists(await rawKey(old))).toBe(false);
    expect(await harness.ctx.blobs.exists(await rawKey(recent))).toBe(true);
    expect((await harness.records.get(old))!.rawDeletedAt).toEqual(new Date(now));

    // Nothing twice; then 21 days later the other one is due.
    expect(await sweepRetention(harness.ctx, audit, new Date(now + DAY))).toEqual({
      deleted: 0,
      released: 0,
    });
    expect(await sweepRetention(harness.ctx, audit, new Date(now + 21 * DAY))).toEqual({
      deleted: 1,
      released: 0,
    });
    expect(await harness.ctx.blobs.exists(await rawKey(recent))).toBe(false);
    const trail = await grpc.getAuditTrail({ tenantId: 't1', imageId: old });
    expect(trail.entries.map((entry) => entry.outcome)).toEqual(['raw_deleted']);
  }, 120_000);

  it("detects an altered or removed entry in the tenant's audit chain", async () => {
    const readChain = async () => {
      const verifier = new ChainVerifier('t1');
      let pageToken = '';
      let head: { seq: number; hash: string } | null;
      do {
        const page = await rest('GET', `/v1/audit?pageSize=3${pageToken ? `&pageToken=${pageToken}` : ''}`);
        expect(page.status).toBe(200);
        verifier.add(page.body['entries'] as ChainedEntry[]);
        pageToken = page.body['nextPageToken'] as string;
        head = page.body['head'] as { seq: number; hash: string };
      } while (pageToken);
      return { problems: verifier.finish(head), checked: verifier.checked };
    };
    const clean = await readChain();
    expect(clean.problems).toEqual([]);
    expect(clean.checked).toBeGreaterThan(10);

    const entries = harness.ctx.pipeline.connection.collection('audit_log');
    const victim = await entries.findOne({ tenantId: 't1', seq: 5 });
    await entries.updateOne(
      { _id: victim!._id },
      { $set: { outcome: 'cleared', detail: 'nothing happened' } },
    );
    expect((await readChain()).problems).toEqual([
      { seq: 5, problem: 'content does not match its hash (altered)' },
    ]);

    await entries.updateOne(
      { _id: victim!._id },
      { $set: { outcome: victim!['outcome'], detail: victim!['detail'] } },
    );
    expect((await readChain()).problems).toEqual([]);
    await entries.deleteOne({ tenantId: 't1', seq: 7 });
    expect((await readChain()).problems).toEqual([
      { seq: 8, problem: 'entries 7..7 are missing' },
      { seq: 8, problem: 'does not link to the previous entry' },
    ]);
  }, 120_000);
});
