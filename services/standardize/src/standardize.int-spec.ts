import { createBlobStore, S3BlobStore } from '@aperture/blob-store';
import { DeleteBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { callGrpc, corpusPath, withHeaders } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { qualityV1, standardizeV1, Topics } from '@aperture/contracts';
import { sharp, startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { standardizeStage } from './stage';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const addressed = (prefix: string, hex: string) =>
  `${prefix}/sha256/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`;

// The real consumer, in-process, on the real topics of the real broker and a database of its own.
describe('standardize stage', () => {
  let harness: StageHarness;
  let client: standardizeV1.StandardizeServiceClient;
  const preview = (request: standardizeV1.PreviewRequest) =>
    new Promise<standardizeV1.PreviewResponse>((resolve, reject) =>
      client.preview(request, (error, response) => (error ? reject(error) : resolve(response))),
    );

  beforeAll(async () => {
    harness = await startStageHarness(standardizeStage, [Topics.imageStandardized, Topics.imageRejected]);
    await harness.createProject('t1', 'p1', {
      standardize: { maxLongSide: 256, format: 'jpeg', quality: 80, thumbnailSize: 64 },
    });
    await harness.createProject('t1', 'no-animations', { standardize: { animated: 'reject' } });
    client = new standardizeV1.StandardizeServiceClient(harness.grpcAddress, credentials.createInsecure(), {
      interceptors: [withHeaders(harness.serviceHeaders)],
    });
  });
  afterAll(async () => {
    client?.close();
    await harness?.close();
  });

  async function standardize(imageId: string, path: string, projectId = 'p1', times = 1) {
    const raw = readFileSync(corpusPath(path));
    const image = await harness.createImage(imageId, raw, { tenantId: 't1', projectId });
    const quality = qualityV1.QualityResult.fromPartial({
      format: 'jpeg',
      width: 450,
      height: 600,
      frames: 1,
    });
    const event = qualityV1.ImageQualified.encode({ image, quality }).finish();
    for (let i = 0; i < times; i++) await harness.produce(Topics.imageQualified, imageId, event);
    await harness.settle(imageId);
    return quality;
  }

  it('stores an upright sRGB derivative and thumbnail, content-addressed, and announces it once with its lineage', async () => {
    const imageId = `img_s_${Date.now()}`;
    const quality = await standardize(imageId, 'cameras/jpg/orientation/portrait_6.jpg', 'p1', 2);

    const record = await harness.records.get(imageId);
    expect(record).toMatchObject({ status: 'processing', stage: 'standardize' });
    const result = record!.stages['standardize'] as standardizeV1.StandardizeResult;
    expect(result).toMatchObject({
      width: 192,
      height: 256,
      format: 'jpeg',
      appliedOrientation: 6,
      thumbnailWidth: 48,
      thumbnailHeight: 64,
      spec: { maxLongSide: 256, quality: 80, thumbnailSize: 64 },
    });
    expect(result.operations.map((o) => o.name)).toEqual([
      'decode',
      'auto-orient',
      'icc-transform',
      'resize',
      'strip-metadata',
      'encode',
      'thumbnail',
    ]);

    const derivative = await harness.ctx.blobs.get(result.derivative!.key);
    expect(result.derivative).toMatchObject({
      key: addressed('derived', sha256(derivative)),
      contentType: 'image/jpeg',
      sizeBytes: String(derivative.length),
      checksum: { hex: sha256(derivative) },
    });
    expect([result.sha256, result.sizeBytes]).toEqual([sha256(derivative), String(derivative.length)]);
    const metadata = await sharp(derivative).metadata();
    expect(metadata).toMatchObject({
      format: 'jpeg',
      width: 192,
      height: 256,
      space: 'srgb',
      depth: 'uchar',
    });
    expect(metadata.exif).toBeUndefined();
    const thumbnail = await harness.ctx.blobs.get(result.thumbnail!.key);
    expect(result.thumbnail!.key).toBe(addressed('thumbnails', sha256(thumbnail)));
    expect(await sharp(thumbnail).metadata()).toMatchObject({ width: 48, height: 64 });

    const published = harness.received(Topics.imageStandardized, imageId);
    expect(published).toHaveLength(1);
    const announced = standardizeV1.ImageStandardized.decode(published[0]!);
    expect(announced).toMatchObject({ image: { imageId }, quality, standardize: { sha256: result.sha256 } });
    expect(announced.standardize?.operations).toEqual(result.operations);
  });

  it('gives the same image the same derivative key: a re-run is a no-op', async () => {
    const first = `img_s_a_${Date.now()}`;
    const second = `img_s_b_${Date.now()}`;
    await standardize(first, 'cameras/jpg/gps/DSCN0010.jpg');
    await standardize(second, 'cameras/jpg/gps/DSCN0010.jpg');
    const [a, b] = await Promise.all([harness.records.get(first), harness.records.get(second)]);
    const [ra, rb] = [a, b].map((r) => r!.stages['standardize'] as standardizeV1.StandardizeResult);
    expect(rb!.derivative!.key).toBe(ra!.derivative!.key);
    expect(rb!.sha256).toBe(ra!.sha256);
    expect(rb!.thumbnail!.key).toBe(ra!.thumbnail!.key);
  });

  it('rejects an animation when the project says so, with the reason', async () => {
    const imageId = `img_s_anim_${Date.now()}`;
    await standardize(imageId, 'formats/animated-loop-3.gif', 'no-animations');
    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'animated' }],
    });
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(1);
    expect(harness.received(Topics.imageStandardized, imageId)).toHaveLength(0);
  });

  it('rejects an image of a project that does not exist', async () => {
    const imageId = `img_s_np_${Date.now()}`;
    await standardize(imageId, 'cameras/jpg/exif-org/canon-ixus.jpg', 'nope');
    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'project_not_found' }],
    });
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(1);
    expect(harness.received(Topics.imageStandardized, imageId)).toHaveLength(0);
  });

  it('Preview over gRPC: the result of a spec on one image, nothing stored', async () => {
    const content = readFileSync(corpusPath('cameras/jpg/orientation/landscape_8.jpg'));
    const response = await preview({
      content,
      spec: standardizeV1.OutputSpec.fromPartial({
        format: 'webp',
        width: 100,
        height: 100,
        fit: 'pad',
        background: '#000000',
        thumbnailSize: 32,
      }),
    });
    expect(await sharp(response.content).metadata()).toMatchObject({
      format: 'webp',
      width: 100,
      height: 100,
    });
    expect(await sharp(response.thumbnail).metadata()).toMatchObject({ width: 32, height: 32 });
    expect(response.result).toMatchObject({
      appliedOrientation: 8,
      sha256: sha256(response.content),
      spec: { fit: 'pad', format: 'webp', keepMetadata: { fields: ['copyright'] } },
    });
    expect(response.result?.derivative).toBeUndefined();
    expect(await harness.ctx.blobs.exists(addressed('derived', sha256(response.content)))).toBe(false);
    await expect(
      preview({ content, spec: standardizeV1.OutputSpec.fromPartial({ fit: 'stretch', bitDepth: 16 }) }),
    ).rejects.toMatchObject({ details: expect.stringContaining('spec.fit must be one of') });
  });
});

// The same stage with BLOB_STORE=s3: raw bytes, derivative and thumbnail all on the real
// S3-compatible server of the global setup, in a bucket of this run.
describe('standardize stage on the S3 blob store', () => {
  let harness: StageHarness;
  const s3Env = { BLOB_STORE: 's3', S3_BUCKET: `aperture-it-std-${Date.now().toString(36)}` };
  /** The stage's store is wrapped (instrumentBlobStore): the bucket is read through one of our own. */
  let store: S3BlobStore | undefined;

  beforeAll(async () => {
    harness = await startStageHarness(
      standardizeStage,
      [Topics.imageStandardized, Topics.imageRejected],
      s3Env,
    );
    store = createBlobStore({ ...process.env, ...s3Env }) as S3BlobStore;
    await harness.createProject('t1', 'p1', { standardize: { maxLongSide: 320, format: 'webp' } });
  });
  afterAll(async () => {
    // The run's objects and bucket go, then the stage.
    if (store && harness) {
      const listed = await store.client.send(new ListObjectsV2Command({ Bucket: store.bucket }));
      for (const object of listed.Contents ?? []) await store.delete(object.Key!);
      await store.client.send(new DeleteBucketCommand({ Bucket: store.bucket }));
    }
    await harness?.close();
  });

  it('writes the derivative and thumbnail through the S3 store, content-addressed', async () => {
    expect(store).toBeInstanceOf(S3BlobStore);
    const imageId = `img_s3_${Date.now()}`;
    const raw = readFileSync(corpusPath('cameras/jpg/gps/DSCN0021.jpg'));
    const image = await harness.createImage(imageId, raw, { tenantId: 't1', projectId: 'p1' });
    await harness.produce(
      Topics.imageQualified,
      imageId,
      qualityV1.ImageQualified.encode({ image }).finish(),
    );
    await harness.settle(imageId);

    const result = (await harness.records.get(imageId))!.stages[
      'standardize'
    ] as standardizeV1.StandardizeResult;
    // Read from the bucket itself, not through the stage.
    const derivative = await store!.get(result.derivative!.key);
    expect(result.derivative!.key).toBe(addressed('derived', sha256(derivative)));
    expect(await sharp(derivative).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });
    expect(await store!.exists(result.thumbnail!.key)).toBe(true);
    expect(harness.received(Topics.imageStandardized, imageId)).toHaveLength(1);
  });

  it('answers Preview only to a caller with a credential (a tenant key or the service identity)', async () => {
    const content = readFileSync(corpusPath('cameras/jpg/orientation/landscape_8.jpg'));
    const request = standardizeV1.PreviewRequest.fromPartial({ content });
    const ask = (headers: Record<string, string>) =>
      callGrpc(standardizeV1.StandardizeServiceService, harness.grpcAddress, 'preview', request, headers);
    expect((await ask({})).code).toBe(16); // UNAUTHENTICATED
    expect((await ask({ 'x-service-token': 'forged-forged-forged-forged-forged-forged' })).code).toBe(16);
    expect((await ask({ 'x-api-key': 'apk_not_a_key_at_all_0000' })).code).toBe(16);
    expect((await ask({ 'x-api-key': await harness.createApiKey('t1') })).code).toBe(0);
  });
});
