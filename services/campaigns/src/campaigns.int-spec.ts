import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { campaignsV1, type commonV1, curatedV1, Topics } from '@aperture/contracts';
import { startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { corpusPath, isolated, probeTenantIsolation, waitFor } from '@aperture/testing';
import { serviceMetadata } from '@aperture/runtime';
import { credentials, Metadata } from '@grpc/grpc-js';
import type { Clock } from './clock';
import { signPayload } from './domain/signature';
import { campaignsStage } from './stage';

// The campaigns service in-process (consumer of the real curated topic, REST, gRPC) against the
// real broker and a database of its own; the clock is moved by the tests.
/** A JSON answer, loosely typed: the tests state what they expect of it. */
interface Body {
  campaignId: string;
  collector: { collectorId: string };
  collectors: Array<Record<string, unknown> & { collectorId: string; state: string }>;
  token: string;
  secret: string;
  state: string;
  assignmentId: string;
  cells: Array<{ cellId: string; curated: number }>;
  error: { code: string; field?: string };
}

describe('campaigns service', () => {
  let harness: StageHarness;
  let client: campaignsV1.CampaignServiceClient;
  let offsetMs = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
  const tenantId = `ten_cmp_${randomBytes(4).toString('hex')}`;
  const apiKey = `apk_campaigns_test_${randomBytes(6).toString('hex')}`;
  const projectId = 'prj_shelves';
  // Canon 40D: EXIF make/model and a capture time of 2008-05-30 15:56 (day), landscape.
  const photo = readFileSync(`${corpusPath()}/cameras/jpg/Canon_40D.jpg`);

  const rest = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { 'x-api-key': apiKey },
  ) => {
    const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const response = await fetch(`http://127.0.0.1:${harness.stage.httpPort}${path}`, {
      method,
      headers: { ...headers, ...(raw !== undefined && { 'content-type': 'application/json' }) },
      ...(raw !== undefined && { body: raw }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const check = (request: Partial<campaignsV1.CheckUploadRequest>) =>
    new Promise<campaignsV1.CheckUploadResponse>((resolve, reject) =>
      client.checkUpload(
        campaignsV1.CheckUploadRequest.fromPartial({ tenantId, projectId, ...request }),
        serviceMetadata(harness.ctx.serviceToken), // only ingest asks
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );

  /** An uploaded campaign image as ingest records it, and (when `curated`) its curated event. */
  async function campaignImage(
    campaignId: string,
    collectorId: string,
    category: string,
    outcome: { curated: true; brightness?: number } | { curated: false; reasons: string[] },
  ): Promise<commonV1.ImageContext> {
    const imageId = `img_${randomBytes(6).toString('hex')}`;
    const context = await harness.createImage(imageId, photo, { tenantId, projectId });
    const campaign = { campaignId, collectorId, category, setting: '', tags: [] as string[] };
    await harness.records.model.updateOne(
      { _id: imageId },
      {
        $set: {
          campaign,
          status: outcome.curated ? 'curated' : 'rejected',
          reasons: outcome.curated ? [] : outcome.reasons.map((code) => ({ code, message: code })),
        },
      },
    );
    const image = { ...context, campaign };
    if (outcome.curated) await publishCurated(image, outcome.brightness ?? 120);
    return image;
  }

  async function publishCurated(image: commonV1.ImageContext, brightness: number, agreement = 0) {
    const curated = curatedV1.ImageCurated.fromPartial({
      image,
      quality: { format: 'jpeg', width: 400, height: 300, frames: 1, metrics: { brightnessP50: brightness } },
      width: 400,
      height: 300,
      curatedAt: new Date().toISOString(),
      annotation: { source: 'consensus', agreement, annotators: agreement ? ['a1', 'a2'] : [] },
    });
    await harness.produce(
      Topics.imageCurated,
      image.imageId,
      curatedV1.ImageCurated.encode(curated).finish(),
    );
  }

  const progressOf = async (campaignId: string) => (await rest('GET', `/v1/campaigns/${campaignId}`)).body;
  const curatedIn = async (campaignId: string, cellId: string) =>
    (await progressOf(campaignId)).cells.find((cell) => cell.cellId === cellId)?.curated ?? -1;

  async function collector(name: string, region = 'EU', verified = true) {
    const created = await rest('POST', '/v1/collectors', { name, region });
    expect(created.status).toBe(201);
    if (verified)
      await rest('POST', `/v1/collectors/${created.body.collector.collectorId}/state`, { state: 'verified' });
    return { id: created.body.collector.collectorId, token: created.body.token };
  }

  async function campaign(body: Record<string, unknown> = {}) {
    const created = await rest('POST', '/v1/campaigns', {
      projectId,
      name: 'shelves',
      instructions: 'No faces.',
      deadline: new Date(clock.now().getTime() + 2 * 3600_000).toISOString(),
      cells: [
        { category: 'shelf', target: 1, instructions: 'whole shelf in frame' },
        { category: 'fridge', timeOfDay: 'night', target: 1, cap: 2 },
      ],
      ...body,
    });
    expect(created.status).toBe(201);
    return created.body.campaignId;
  }

  beforeAll(async () => {
    harness = await startStageHarness(campaignsStage(clock), []);
    await harness.createProject(tenantId, projectId, {
      annotation: { classes: ['shelf', 'fridge', 'street'] },
    });
    await harness.ctx.pipeline.connection.collection('api_keys').insertOne({
      _id: `key_${tenantId}` as never,
      tenantId,
      hash: createHash('sha256').update(apiKey).digest('hex'),
      prefix: apiKey.slice(0, 12),
      createdAt: new Date(),
      revokedAt: null,
    });
    client = new campaignsV1.CampaignServiceClient(
      `127.0.0.1:${harness.stage.grpcPort}`,
      credentials.createInsecure(),
    );
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await harness?.close();
  });

  it('refuses a campaign whose cell names a class outside the label schema, naming the field', async () => {
    const refused = await rest('POST', '/v1/campaigns', {
      projectId,
      name: 'x',
      deadline: new Date(clock.now().getTime() + 3600_000).toISOString(),
      cells: [{ category: 'car', target: 1 }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'invalid_request', field: 'cells[0].category' });
  });

  it('fills cells from curated images only, once per image, and then refuses uploads to the full cell', async () => {
    const campaignId = await campaign();
    const alice = await collector('alice');
    expect(await check({ campaignId, collectorToken: alice.token, category: 'shelf' })).toMatchObject({
      allowed: true,
      collectorId: alice.id,
    });

    // Uploaded but rejected: counts for nothing, even if a (forged) curated event names it.
    const rejected = await campaignImage(campaignId, alice.id, 'shelf', {
      curated: false,
      reasons: ['blurry'],
    });
    await publishCurated(rejected, 120);
    await harness.settle(rejected.imageId);
    expect(await curatedIn(campaignId, 'c1')).toBe(0);
    const curated = await campaignImage(campaignId, alice.id, 'shelf', { curated: true });
    await harness.settle(curated.imageId);
    expect(await curatedIn(campaignId, 'c1')).toBe(1);

    // A redelivery of the same curated event counts nothing twice.
    await publishCurated(curated, 120);
    await harness.settle(curated.imageId);
    expect(await curatedIn(campaignId, 'c1')).toBe(1);
    const progress = await progressOf(campaignId);
    expect(progress).toMatchObject({ counted: 1, surplus: 0, state: 'open' });
    expect(progress.cells[0]).toMatchObject({ full: true, curated: 1 });

    expect(await check({ campaignId, collectorToken: alice.token, category: 'shelf' })).toMatchObject({
      allowed: false,
      code: 'campaign_cell_full',
    });
    // The fridge cell (night) still takes images; a class no cell asks for is surplus by declaration.
    expect((await check({ campaignId, collectorToken: alice.token, category: 'fridge' })).allowed).toBe(true);
    expect((await check({ campaignId, collectorToken: alice.token, category: 'street' })).code).toBe(
      'campaign_no_cell',
    );
    expect(await check({ campaignId, collectorToken: alice.token, category: 'car' })).toMatchObject({
      code: 'invalid_request',
      field: 'category',
    });

    // A fridge shot by day (EXIF 15:56, bright) does not fit the night cell: surplus.
    const day = await campaignImage(campaignId, alice.id, 'fridge', { curated: true, brightness: 130 });
    await harness.settle(day.imageId);
    expect(await progressOf(campaignId)).toMatchObject({ surplus: 1 });
    // A very dark one is night whatever the clock: it fills the night cell, and the campaign is complete.
    const night = await campaignImage(campaignId, alice.id, 'fridge', { curated: true, brightness: 10 });
    await harness.settle(night.imageId);
    expect(await curatedIn(campaignId, 'c2')).toBe(1);
    expect((await progressOf(campaignId)).state).toBe('complete');
  });

  it('lets only verified collectors upload; a forged, stale, replayed or out-of-order KYC webhook changes nothing', async () => {
    const campaignId = await campaign();
    const bob = await collector('bob', 'EU', false);
    expect(await check({ campaignId, collectorToken: bob.token, category: 'shelf' })).toMatchObject({
      allowed: false,
      code: 'collector_not_verified',
      collectorId: bob.id,
    });
    expect(
      (await check({ campaignId, collectorToken: 'ctk_not_a_real_token_at_all_000', category: 'shelf' }))
        .code,
    ).toBe('unauthenticated');

    const secret = (await rest('POST', '/v1/kyc/secret')).body.secret;
    const body = JSON.stringify({ tenantId, collectorId: bob.id, state: 'verified' });
    const now = Math.floor(clock.now().getTime() / 1000);
    const webhook = (signature: string, raw = body) =>
      rest('POST', '/v1/kyc/webhook', raw, { 'x-kyc-signature': signature });

    const forged = await webhook(signPayload('whsec_guessed', now, body));
    expect(forged.status).toBe(401);
    const tampered = await webhook(signPayload(secret, now, body), body.replace('verified', 'verified '));
    expect(tampered.status).toBe(401);
    const stale = await webhook(signPayload(secret, now - 3600, body));
    expect(stale).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    expect(
      (await rest('GET', '/v1/collectors')).body.collectors.find((c) => c.collectorId === bob.id)?.state,
    ).toBe('pending');

    const signed = await webhook(signPayload(secret, now, body));
    expect(signed.status).toBe(200);
    expect(signed.body).toMatchObject({
      state: 'verified',
      history: [{ state: 'pending' }, { state: 'verified', by: 'kyc' }],
    });
    expect((await check({ campaignId, collectorToken: bob.token, category: 'shelf' })).allowed).toBe(true);

    // The operator suspends: uploads stop.
    await rest('POST', `/v1/collectors/${bob.id}/state`, { state: 'suspended' });
    expect((await check({ campaignId, collectorToken: bob.token, category: 'shelf' })).code).toBe(
      'collector_not_verified',
    );

    // The attack of issue 19: the same signed request again (at once, and 90 s later, still inside
    // the signature's window) must not verify bob again.
    const replayed = await webhook(signPayload(secret, now, body));
    expect(replayed).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    offsetMs += 90_000;
    try {
      expect((await webhook(signPayload(secret, now, body))).status).toBe(409);
      // A different event, validly signed but before the suspension, cannot undo it either.
      const older = JSON.stringify({ tenantId, collectorId: bob.id, state: 'verified', ref: 'evt_2' });
      const outOfOrder = await webhook(signPayload(secret, now - 60, older), older);
      expect(outOfOrder.status).toBe(409);
      expect(outOfOrder.body.error).toMatchObject({ code: 'conflict' });
      // A newer event is applied.
      const later = Math.floor(clock.now().getTime() / 1000);
      const reverified = await webhook(signPayload(secret, later, body));
      expect(reverified).toMatchObject({ status: 200, body: { state: 'verified' } });
    } finally {
      offsetMs -= 90_000;
    }
    expect(
      (await rest('GET', '/v1/collectors')).body.collectors.find((c) => c.collectorId === bob.id)?.state,
    ).toBe('verified');
  });

  it('gives a collector the cells of their region that need images, and the assignment expires', async () => {
    const campaignId = await campaign({
      assignmentMinutes: 30,
      cells: [
        { category: 'shelf', region: 'EU', target: 3 },
        { category: 'shelf', region: 'US', target: 3 },
        { category: 'fridge', target: 1 },
      ],
    });
    const carol = await collector('carol', 'EU');
    const asked = await rest('POST', '/v1/assignments', { campaignId }, { 'x-collector-token': carol.token });
    expect(asked.status).toBe(201);
    expect(asked.body.state).toBe('active');
    expect(asked.body.cells.map((cell) => cell.cellId)).toEqual(['c1', 'c3']);
    expect(asked.body.cells[0]).toMatchObject({ needed: 3, label: 'shelf · EU', instructions: 'No faces.' });

    offsetMs += 31 * 60_000;
    const later = await rest('GET', `/v1/assignments/${asked.body.assignmentId}`, undefined, {
      'x-collector-token': carol.token,
    });
    expect(later.body.state).toBe('expired');
    offsetMs -= 31 * 60_000;

    const pending = await collector('dan', 'EU', false);
    expect(
      (await rest('POST', '/v1/assignments', { campaignId }, { 'x-collector-token': pending.token })).status,
    ).toBe(403);
  });

  it('keeps per-collector statistics and flags a collector below the bar', async () => {
    const campaignId = await campaign({
      minAcceptance: 0.6,
      minDecided: 3,
      cells: [{ category: 'shelf', target: 10 }],
    });
    const good = await collector('erin');
    const poor = await collector('frank');
    const images = [
      await campaignImage(campaignId, good.id, 'shelf', { curated: true }),
      await campaignImage(campaignId, good.id, 'shelf', { curated: true }),
      await campaignImage(campaignId, good.id, 'shelf', { curated: false, reasons: ['blurry'] }),
      await campaignImage(campaignId, poor.id, 'shelf', { curated: true }),
      await campaignImage(campaignId, poor.id, 'shelf', { curated: false, reasons: ['near_duplicate'] }),
      await campaignImage(campaignId, poor.id, 'shelf', {
        curated: false,
        reasons: ['underexposed', 'blurry'],
      }),
    ];
    await publishCurated(images[0]!, 120, 0.8); // redelivered with a consensus: counted once, first wins
    for (const image of images) await harness.settle(image.imageId);
    const stats = (await rest('GET', `/v1/campaigns/${campaignId}/collectors`)).body.collectors as Array<
      Record<string, unknown>
    >;
    const byName = Object.fromEntries(stats.map((row) => [row['name'], row]));
    expect(byName['erin']).toMatchObject({
      uploaded: 3,
      curated: 2,
      rejected: 1,
      acceptanceRate: 0.667,
      duplicateRate: 0,
      flagged: false,
      rejectionReasons: { blurry: 1 },
    });
    expect(byName['frank']).toMatchObject({
      uploaded: 3,
      curated: 1,
      rejected: 2,
      acceptanceRate: 0.333,
      duplicateRate: 0.333,
      flagged: true,
      rejectionReasons: { near_duplicate: 1, underexposed: 1, blurry: 1 },
    });
  });

  it('refuses uploads past the deadline and over the per-collector cap', async () => {
    const campaignId = await campaign({ perCollectorCap: 1, cells: [{ target: 5 }] });
    const gina = await collector('gina');
    const image = await campaignImage(campaignId, gina.id, '', { curated: true });
    await harness.settle(image.imageId);
    expect((await check({ campaignId, collectorToken: gina.token })).code).toBe('collector_cap_reached');
    offsetMs += 3 * 3600_000;
    try {
      expect((await check({ campaignId, collectorToken: gina.token })).code).toBe('campaign_closed');
    } finally {
      offsetMs -= 3 * 3600_000;
    }
  });

  it('streams live progress over gRPC', async () => {
    const campaignId = await campaign({ cells: [{ category: 'shelf', target: 2 }] });
    const helen = await collector('helen');
    const metadata = new Metadata();
    metadata.set('x-api-key', apiKey);
    const stream = client.watchCampaign({ campaignId }, metadata);
    const seen: campaignsV1.CampaignProgress[] = [];
    stream.on('data', (message: campaignsV1.WatchCampaignResponse) => seen.push(message.progress!));
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('error', () => undefined);
    await waitFor('the first progress', () => seen.length === 1, 10_000);
    expect(seen[0]!.cells[0]!.curated).toBe(0);
    await campaignImage(campaignId, helen.id, 'shelf', { curated: true });
    await waitFor('the counted image', () => seen.at(-1)!.cells[0]!.curated === 1, 20_000);
    await campaignImage(campaignId, helen.id, 'shelf', { curated: true });
    // Complete: the stream sends the final progress and ends by itself.
    await ended;
    expect(seen.at(-1)).toMatchObject({ state: 'complete', achieved: 2, target: 2 });

    const unauthenticated = client.watchCampaign({ campaignId });
    const failure = await new Promise<Error>((resolve) => unauthenticated.on('error', resolve));
    expect(failure.message).toMatch(/x-api-key/);
  });

  it("answers no caller without a credential, and another tenant's credentials learn nothing of its campaigns", async () => {
    const campaignId = await campaign();
    const gina = await collector('gina-probe');
    const attacker = { 'x-api-key': await harness.createApiKey('ten_other') };
    const { CampaignServiceService: service } = campaignsV1;
    // The attack of issue 19: this tenant's ids, with no credential, a forged service token, or another tenant's key.
    const verdicts = await probeTenantIsolation(service, harness.grpcAddress, {
      checkUpload: {
        request: campaignsV1.CheckUploadRequest.fromPartial({
          tenantId,
          projectId,
          campaignId,
          collectorToken: gina.token,
        }),
        headers: attacker,
      },
      getCampaign: { request: { campaignId }, headers: attacker },
      watchCampaign: { request: { campaignId }, headers: attacker },
    });
    expect(verdicts).toEqual(isolated(service));
  });
});
