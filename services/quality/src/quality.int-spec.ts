import { commonV1, ingestV1, qualityV1, Topics } from '@aperture/contracts';
import { sharp } from '@aperture/stage-runtime';
import { startStageHarness, type StageHarness } from '@aperture/stage-runtime/testing';
import { corpusPath, isolated, probeTenantIsolation, withHeaders } from '@aperture/testing';
import { credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { qualityStage } from './stage';

const PHOTO = corpusPath('cameras/jpg/exif-org/canon-ixus.jpg');

// The real consumer and gRPC server, in-process, on the real topics of the real broker and a
// database of its own (the duplicate index included).
describe('quality stage', () => {
  let harness: StageHarness;
  let client: InstanceType<typeof qualityV1.QualityServiceClient>;
  const assess = (request: Partial<qualityV1.AssessRequest>) =>
    new Promise<qualityV1.AssessResponse>((resolve, reject) =>
      client.assess(qualityV1.AssessRequest.fromPartial(request), (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );

  beforeAll(async () => {
    harness = await startStageHarness(qualityStage, [Topics.imageQualified, Topics.imageRejected]);
    await harness.createProject('t1', 'p1', { quality: { minWidth: 100, minHeight: 100 } });
    await harness.createProject('t1', 'strict', { quality: { maxBlurWidth: 0.5 } });
    // ingest's call: the service identity, naming the tenant.
    client = new qualityV1.QualityServiceClient(harness.grpcAddress, credentials.createInsecure(), {
      interceptors: [withHeaders(harness.serviceHeaders)],
    });
  });
  afterAll(async () => {
    client?.close();
    await harness?.close();
  });

  /** Runs one image through the stage (its event delivered twice) and returns its record. */
  async function judge(imageId: string, bytes: Buffer, projectId = 'p1') {
    const image = await harness.createImage(imageId, bytes, { tenantId: 't1', projectId });
    const event = ingestV1.ImageIngested.encode({ image }).finish();
    await harness.produce(Topics.imageIngested, imageId, event);
    await harness.produce(Topics.imageIngested, imageId, event);
    await harness.settle(imageId);
    return harness.records.get(imageId);
  }

  it('qualifies a good JPEG once, even when its event is delivered twice, with its scores', async () => {
    const imageId = `img_q_ok_${Date.now()}`;
    const record = await judge(imageId, readFileSync(PHOTO));
    expect(record).toMatchObject({
      status: 'processing',
      stage: 'quality',
      stages: {
        quality: {
          format: 'jpeg',
          width: 640,
          height: 480,
          frames: 1,
          metrics: {
            blurWidth: expect.any(Number),
            brightnessP99: expect.any(Number),
            contrast: expect.any(Number),
          },
        },
      },
    });
    const published = harness.received(Topics.imageQualified, imageId);
    expect(published).toHaveLength(1);
    const qualified = qualityV1.ImageQualified.decode(published[0]!);
    expect(qualified).toMatchObject({ image: { imageId, tenantId: 't1', projectId: 'p1' } });
    expect(qualified.quality?.fingerprint.length).toBeGreaterThan(0);
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(0);

    // The same pixels as a PNG: a duplicate of it; a smaller re-encoded copy: a near duplicate.
    const asPng = await sharp(readFileSync(PHOTO)).png().toBuffer();
    const pngRecord = await judge(`img_q_png_${Date.now()}`, asPng);
    expect(pngRecord).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'duplicate' }],
      stages: { quality: { duplicateOf: imageId, duplicateDistance: 0 } },
    });
    const smaller = await sharp(readFileSync(PHOTO)).resize(400).jpeg({ quality: 60 }).toBuffer();
    const nearRecord = await judge(`img_q_near_${Date.now()}`, smaller);
    expect(nearRecord).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'near_duplicate' }],
      stages: { quality: { duplicateOf: imageId } },
    });
  });

  it("judges by the project's own thresholds and says which was crossed", async () => {
    const imageId = `img_q_strict_${Date.now()}`;
    const soft = await sharp(readFileSync(corpusPath('cameras/jpg/gps/DSCN0021.jpg')))
      .blur(1.2)
      .toBuffer();
    const record = await judge(imageId, soft, 'strict');
    expect(record).toMatchObject({ status: 'rejected', reasons: [{ code: 'blurry' }] });
    expect(record?.reasons[0]?.message).toMatch(/above the project maximum 0.5 px/);
    const rejected = commonV1.ImageRejected.decode(harness.received(Topics.imageRejected, imageId)[0]!);
    expect(rejected).toMatchObject({ stage: 'quality', reasons: [{ code: 'blurry' }] });
  });

  it('reports every reason that applies, pixel defects first: a blurred copy of a kept photo is blurry and a near duplicate', async () => {
    const original = readFileSync(corpusPath('cameras/jpg/gps/DSCN0042.jpg'));
    const originalId = `img_q_kept_${Date.now()}`;
    expect(await judge(originalId, original)).toMatchObject({ status: 'processing' });
    const blurred = await sharp(original).blur(4).jpeg().toBuffer();
    const imageId = `img_q_both_${Date.now()}`;
    const codes = (reasons: Array<{ code: string }> | undefined) => reasons?.map((reason) => reason.code);
    const record = await judge(imageId, blurred);
    expect(record).toMatchObject({ status: 'rejected', stages: { quality: { duplicateOf: originalId } } });
    expect(codes(record?.reasons)).toEqual(['blurry', 'near_duplicate']);
    const rejected = commonV1.ImageRejected.decode(harness.received(Topics.imageRejected, imageId)[0]!);
    expect(codes(rejected.reasons)).toEqual(['blurry', 'near_duplicate']);
    // The on-demand answer says the same (and, read-only, names the kept photo, not the copy).
    const answer = await assess({ content: blurred, tenantId: 't1', projectId: 'p1' });
    expect(codes(answer.reasons)).toEqual(['blurry', 'near_duplicate']);
    expect(answer.result?.duplicateOf).toBe(originalId);
  });

  it('rejects a truncated file as corrupt with one ImageRejected', async () => {
    const imageId = `img_q_bad_${Date.now()}`;
    const record = await judge(imageId, readFileSync(corpusPath('formats/truncated.jpg')));
    expect(record).toMatchObject({ status: 'rejected', stage: 'quality', reasons: [{ code: 'corrupt' }] });
    const published = harness.received(Topics.imageRejected, imageId);
    expect(published).toHaveLength(1);
    expect(commonV1.ImageRejected.decode(published[0]!)).toMatchObject({
      image: { imageId },
      stage: 'quality',
      reasons: [{ code: 'corrupt' }],
    });
    expect(harness.received(Topics.imageQualified, imageId)).toHaveLength(0);
  });

  it('skips a forged event that names another tenant or project, leaving the record untouched', async () => {
    await harness.createProject('t2', 'p2');
    const imageId = `img_q_forged_${Date.now()}`;
    const image = await harness.createImage(imageId, readFileSync(PHOTO), {
      tenantId: 't1',
      projectId: 'p1',
    });
    // Another tenant's project, and then the right tenant with one of its other projects.
    for (const forged of [
      { ...image, tenantId: 't2', projectId: 'p2' },
      { ...image, projectId: 'strict' },
    ]) {
      await harness.produce(
        Topics.imageIngested,
        imageId,
        ingestV1.ImageIngested.encode({ image: forged }).finish(),
      );
    }
    await harness.settle(imageId);
    const untouched = await harness.records.get(imageId);
    expect(untouched?.status).toBe('processing');
    expect(untouched?.stages['quality']).toBeUndefined();
    expect(harness.received(Topics.imageQualified, imageId)).toHaveLength(0);
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(0);

    // The genuine event is still processed afterwards.
    await harness.produce(Topics.imageIngested, imageId, ingestV1.ImageIngested.encode({ image }).finish());
    await harness.settle(imageId);
    // (A duplicate of the first test's photo, so it is judged and rejected as one.)
    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'duplicate' }],
      stages: { quality: { format: 'jpeg' } },
    });
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(1);
  });

  it('answers Assess with the default policy, or with a project and its duplicates without recording', async () => {
    const bytes = readFileSync(corpusPath('cameras/jpg/gps/DSCN0040.jpg'));
    expect(await assess({ content: bytes })).toMatchObject({ accepted: true, reasons: [] });

    const imageId = `img_q_assess_${Date.now()}`;
    await judge(imageId, bytes);
    const again = await assess({ content: bytes, tenantId: 't1', projectId: 'p1' });
    expect(again).toMatchObject({
      accepted: false,
      reasons: [{ code: 'duplicate' }],
      result: { duplicateOf: imageId },
    });
    // Read-only: asking twice gives the same answer, and the project's index did not learn the bytes.
    expect(await assess({ content: bytes, tenantId: 't1', projectId: 'p1' })).toMatchObject({
      result: { duplicateOf: imageId },
    });
    // Asked for the upload itself (ingest's synchronous verdict, answered after the stage recorded
    // the image): the stage's verdict, not "a duplicate of itself".
    const receivedAt = (await harness.records.get(imageId))!.receivedAt.toISOString();
    expect(await assess({ content: bytes, tenantId: 't1', projectId: 'p1', imageId, receivedAt })).toEqual({
      accepted: true,
      reasons: [],
      result: expect.objectContaining({ duplicateOf: '' }),
    });
    // Another upload of the same bytes, received after it, is its copy.
    const after = new Date(Date.parse(receivedAt) + 1000).toISOString();
    expect(
      await assess({
        content: bytes,
        tenantId: 't1',
        projectId: 'p1',
        imageId: 'img_later',
        receivedAt: after,
      }),
    ).toMatchObject({ accepted: false, reasons: [{ code: 'duplicate' }], result: { duplicateOf: imageId } });
    await expect(assess({ content: bytes, tenantId: 't1', projectId: 'p1', imageId })).rejects.toMatchObject({
      details: 'image_id and received_at (RFC 3339) go together',
    });

    await expect(assess({ content: bytes, tenantId: 't1', projectId: 'nope' })).rejects.toMatchObject({
      details: expect.stringMatching(/does not exist/),
    });
    await expect(assess({ content: bytes, tenantId: 't1' })).rejects.toMatchObject({
      details: 'tenant_id and project_id go together',
    });
  });

  it("answers no caller without a credential, and another tenant's key learns nothing of t1's photos", async () => {
    const bytes = readFileSync(corpusPath('cameras/jpg/gps/DSCN0010.jpg'));
    const imageId = `img_q_probe_${Date.now()}`;
    await judge(imageId, bytes); // t1 holds this photo now
    const attacker = await harness.createApiKey('t2');
    // The attack of issue 19: t1's ids, with no credential, a forged service token, or t2's key.
    const verdicts = await probeTenantIsolation(qualityV1.QualityServiceService, harness.grpcAddress, {
      assess: {
        request: qualityV1.AssessRequest.fromPartial({ content: bytes, tenantId: 't1', projectId: 'p1' }),
        headers: { 'x-api-key': attacker },
      },
    });
    expect(verdicts).toEqual(isolated(qualityV1.QualityServiceService));

    // t1's own key: the tenant is the key's (tenant_id is not needed, and not trusted).
    const owner = new qualityV1.QualityServiceClient(harness.grpcAddress, credentials.createInsecure(), {
      interceptors: [withHeaders({ 'x-api-key': await harness.createApiKey('t1') })],
    });
    const own = await new Promise<qualityV1.AssessResponse>((resolve, reject) =>
      owner.assess(
        qualityV1.AssessRequest.fromPartial({ content: bytes, tenantId: 't2', projectId: 'p1' }),
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
    owner.close();
    expect(own).toMatchObject({ accepted: false, result: { duplicateOf: imageId } });
  });
});
