import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { commonV1, ingestV1, qualityV1, Topics } from '@aperture/contracts';
import { startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { qualityStage } from './stage';

// The real consumer, in-process, on the real topics of the real broker and a database of its own.
describe('quality stage', () => {
  let harness: StageHarness;

  beforeAll(async () => {
    harness = await startStageHarness(qualityStage, [Topics.imageQualified, Topics.imageRejected]);
    await harness.createProject('t1', 'p1', { quality: { minWidth: 100, minHeight: 100 } });
  });
  afterAll(async () => harness?.close());

  /** An image record and its ImageIngested event, the raw bytes in the blob store. */
  async function ingest(imageId: string, file: string): Promise<Buffer> {
    const image = await harness.createImage(imageId, readFileSync(file), { tenantId: 't1', projectId: 'p1' });
    return Buffer.from(ingestV1.ImageIngested.encode({ image }).finish());
  }

  it('qualifies a good JPEG once, even when its event is delivered twice', async () => {
    const imageId = `img_q_ok_${Date.now()}`;
    const event = await ingest(imageId, corpusPath('cameras/jpg/exif-org/canon-ixus.jpg'));
    await harness.produce(Topics.imageIngested, imageId, event);
    await harness.produce(Topics.imageIngested, imageId, event);
    await harness.settle(imageId);

    const record = await harness.records.get(imageId);
    expect(record).toMatchObject({
      status: 'processing',
      stage: 'quality',
      stages: { quality: { format: 'jpeg', width: 640, height: 480, frames: 1 } },
    });
    const published = harness.received(Topics.imageQualified, imageId);
    expect(published).toHaveLength(1);
    expect(qualityV1.ImageQualified.decode(published[0]!)).toMatchObject({
      image: { imageId, tenantId: 't1', projectId: 'p1' },
      quality: { format: 'jpeg', width: 640, height: 480, frames: 1 },
    });
    expect(harness.received(Topics.imageRejected, imageId)).toHaveLength(0);
  });

  it('rejects a truncated file as corrupt with one ImageRejected', async () => {
    const imageId = `img_q_bad_${Date.now()}`;
    const event = await ingest(imageId, corpusPath('formats/truncated.jpg'));
    await harness.produce(Topics.imageIngested, imageId, event);
    await harness.produce(Topics.imageIngested, imageId, event);
    await harness.settle(imageId);

    const record = await harness.records.get(imageId);
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
});
