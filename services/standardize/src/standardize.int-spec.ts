import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { qualityV1, standardizeV1, Topics } from '@aperture/contracts';
import { sharp, startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { standardizeStage } from './stage';

// The real consumer, in-process, on the real topics of the real broker and a database of its own.
describe('standardize stage', () => {
  let harness: StageHarness;

  beforeAll(async () => {
    harness = await startStageHarness(standardizeStage, [Topics.imageStandardized, Topics.imageRejected]);
    await harness.createProject('t1', 'p1', {
      standardize: { maxLongSide: 256, format: 'jpeg', quality: 80 },
    });
  });
  afterAll(async () => harness?.close());

  it('stores an upright, shrunk sRGB derivative and announces it once, even when delivered twice', async () => {
    const imageId = `img_s_${Date.now()}`;
    const raw = readFileSync(corpusPath('cameras/jpg/orientation/portrait_6.jpg'));
    const image = await harness.createImage(imageId, raw, { tenantId: 't1', projectId: 'p1' });
    const quality = { format: 'jpeg', width: 450, height: 600, frames: 1 };
    const event = qualityV1.ImageQualified.encode({ image, quality }).finish();
    await harness.produce(Topics.imageQualified, imageId, event);
    await harness.produce(Topics.imageQualified, imageId, event);
    await harness.settle(imageId);

    const expected = {
      derivative: { key: `derived/${imageId}/standardized.jpg`, contentType: 'image/jpeg' },
      width: 192,
      height: 256,
      format: 'jpeg',
      appliedOrientation: 6,
      sourceColorSpace: 'srgb',
    };
    const record = await harness.records.get(imageId);
    expect(record).toMatchObject({
      status: 'processing',
      stage: 'standardize',
      stages: { standardize: expected },
    });

    const derivative = await harness.ctx.blobs.get(expected.derivative.key);
    const metadata = await sharp(derivative).metadata();
    expect(metadata).toMatchObject({
      format: 'jpeg',
      width: 192,
      height: 256,
      space: 'srgb',
      depth: 'uchar',
    });
    expect(metadata.exif).toBeUndefined();

    const published = harness.received(Topics.imageStandardized, imageId);
    expect(published).toHaveLength(1);
    const announced = standardizeV1.ImageStandardized.decode(published[0]!);
    expect(announced).toMatchObject({ image: { imageId }, quality, standardize: expected });
    expect(announced.standardize?.derivative?.sizeBytes).toBe(String(derivative.length));
  });

  it('rejects an image of a project that does not exist', async () => {
    const imageId = `img_s_np_${Date.now()}`;
    const raw = readFileSync(corpusPath('cameras/jpg/exif-org/canon-ixus.jpg'));
    const image = await harness.createImage(imageId, raw, { tenantId: 't1', projectId: 'nope' });
    await harness.produce(
      Topics.imageQualified,
      imageId,
      qualityV1.ImageQualified.encode({ image }).finish(),
    );
    await harness.settle(imageId);

    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'project_not_found' }],
    });
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(1);
    expect(harness.received(Topics.imageStandardized, imageId)).toHaveLength(0);
  });
});
