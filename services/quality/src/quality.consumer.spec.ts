import { readFileSync } from 'node:fs';
import { commonV1, inputTopicOf, qualityV1, Topics } from '@aperture/contracts';
import { MemoryDuplicateIndex } from '@aperture/image-quality';
import { defaultPolicy } from '@aperture/policy';
import { fakeStageContext } from '@aperture/stage-runtime/testing';
import { corpusPath } from '@aperture/testing';
import type { QualityContext } from './duplicate-scope';
import { qualityHandler } from './quality.consumer';

const PHOTO = readFileSync(corpusPath('cameras/jpg/exif-org/canon-ixus.jpg'));

// The quality stage's handler without a broker or a database: the shared steps of stage-runtime
// around it, the records and the events in memory, the duplicate index in memory.
describe('the quality handler', () => {
  function setUp() {
    const fake = fakeStageContext('quality');
    const index = new MemoryDuplicateIndex();
    const ctx: QualityContext = {
      ...fake,
      duplicateScope: (image) => ({
        index,
        imageId: image.imageId,
        order: `${image.receivedAt}/${image.imageId}`,
        // Earlier images' bytes, read back through their records (as duplicate-scope.ts does).
        loadImage: async (imageId) => fake.blobs.get(fake.records.get(imageId)!.raw.key),
      }),
    };
    fake.addProject('t1', 'p1');
    return { fake, ctx };
  }

  it('consumes the topic the pipeline gives the quality service', () => {
    expect(qualityHandler.topic).toBe(inputTopicOf('quality'));
  });

  it('qualifies a good photo once, announcing it on image.qualified, and answers a redelivery as a duplicate', async () => {
    const { fake, ctx } = setUp();
    const image = await fake.addImage({ imageId: 'img_1', tenantId: 't1', projectId: 'p1' }, PHOTO);
    await expect(fake.deliver(qualityHandler, { image }, ctx)).resolves.toBe('done');
    await expect(fake.deliver(qualityHandler, { image }, ctx)).resolves.toBe('duplicate');

    expect(fake.records.get('img_1')).toMatchObject({
      status: 'processing',
      stage: 'quality',
      stages: { quality: { format: 'jpeg', width: 640, height: 480 } },
    });
    expect(fake.events.map((event) => [event.topic, event.key])).toEqual([[Topics.imageQualified, 'img_1']]);
    const qualified = qualityV1.ImageQualified.decode(fake.events[0]!.payload!);
    expect(qualified.image?.imageId).toBe('img_1');
    expect(qualified.quality?.fingerprint.length).toBeGreaterThan(0);
  });

  it('rejects the same pixels uploaded again as a duplicate of the first', async () => {
    const { fake, ctx } = setUp();
    const first = await fake.addImage({ imageId: 'img_1', tenantId: 't1', projectId: 'p1' }, PHOTO);
    const second = await fake.addImage({ imageId: 'img_2', tenantId: 't1', projectId: 'p1' }, PHOTO);
    await fake.deliver(qualityHandler, { image: first }, ctx);
    await fake.deliver(qualityHandler, { image: { ...second, receivedAt: '2026-01-02T00:00:00.000Z' } }, ctx);
    expect(fake.records.get('img_2')).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'duplicate' }],
      stages: { quality: { duplicateOf: 'img_1', duplicateDistance: 0 } },
    });
  });

  it('rejects bytes that are not an image with a named reason on image.rejected', async () => {
    const { fake, ctx } = setUp();
    const image = await fake.addImage(
      { imageId: 'img_bad', tenantId: 't1', projectId: 'p1' },
      Buffer.from('not an image at all'),
    );
    await expect(fake.deliver(qualityHandler, { image }, ctx)).resolves.toBe('done');
    expect(fake.records.get('img_bad')).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'unsupported_format' }],
    });
    expect(fake.events.map((event) => event.topic)).toEqual([Topics.imageRejected]);
    expect(commonV1.ImageRejected.decode(fake.events[0]!.payload!)).toMatchObject({
      stage: 'quality',
      reasons: [{ code: 'unsupported_format' }],
    });
  });

  it('rejects an image of a project that does not exist as project_not_found', async () => {
    const { fake, ctx } = setUp();
    const image = await fake.addImage({ imageId: 'img_3', tenantId: 't1', projectId: 'gone' }, PHOTO);
    await fake.deliver(qualityHandler, { image }, ctx);
    expect(fake.records.get('img_3')).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'project_not_found' }],
    });
  });

  it('judges by the project policy (a minimum size above the photo)', async () => {
    const { fake, ctx } = setUp();
    fake.addProject('t1', 'big', { ...defaultPolicy, quality: { ...defaultPolicy.quality, minWidth: 4000 } });
    const image = await fake.addImage({ imageId: 'img_4', tenantId: 't1', projectId: 'big' }, PHOTO);
    await fake.deliver(qualityHandler, { image }, ctx);
    expect(fake.records.get('img_4')).toMatchObject({ status: 'rejected', reasons: [{ code: 'too_small' }] });
  });

  it('skips an event whose tenant is not the record’s, and retries an event with no raw blob', async () => {
    const { fake, ctx } = setUp();
    const image = await fake.addImage({ imageId: 'img_5', tenantId: 't1', projectId: 'p1' }, PHOTO);
    await expect(fake.deliver(qualityHandler, { image: { ...image, tenantId: 't2' } }, ctx)).resolves.toBe(
      'skipped',
    );
    const { raw: _raw, ...noRaw } = image;
    await expect(fake.deliver(qualityHandler, { image: noRaw }, ctx)).rejects.toThrow('has no raw blob');
    expect(fake.records.get('img_5')!.stages).toEqual({});
    expect(fake.events).toEqual([]);
  });
});
