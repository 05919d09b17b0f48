import { readFileSync } from 'node:fs';
import { inputTopicOf, qualityV1, standardizeV1, Topics } from '@aperture/contracts';
import { defaultPolicy } from '@aperture/policy';
import { sharp } from '@aperture/stage-runtime';
import { fakeStageContext } from '@aperture/stage-runtime/testing';
import { corpusPath } from '@aperture/testing';
import { standardizeHandler } from './standardize.consumer';

const quality = qualityV1.QualityResult.fromPartial({ format: 'jpeg', width: 450, height: 600, frames: 1 });

// The standardize stage's handler without a broker or a database (fakeStageContext).
describe('the standardize handler', () => {
  function setUp() {
    const fake = fakeStageContext('standardize');
    fake.addProject('t1', 'p1', {
      ...defaultPolicy,
      standardize: {
        ...defaultPolicy.standardize,
        maxLongSide: 256,
        format: 'jpeg',
        quality: 80,
        thumbnailSize: 64,
      },
    });
    fake.addProject('t1', 'no-animations', {
      ...defaultPolicy,
      standardize: { ...defaultPolicy.standardize, animated: 'reject' },
    });
    return fake;
  }

  it('consumes the topic the pipeline gives the standardize service', () => {
    expect(standardizeHandler.topic).toBe(inputTopicOf('standardize'));
  });

  it('stores a content-addressed upright derivative and thumbnail and announces them once', async () => {
    const fake = setUp();
    const raw = readFileSync(corpusPath('cameras/jpg/orientation/portrait_6.jpg'));
    const image = await fake.addImage({ imageId: 'img_1', tenantId: 't1', projectId: 'p1' }, raw);
    await expect(fake.deliver(standardizeHandler, { image, quality })).resolves.toBe('done');
    await expect(fake.deliver(standardizeHandler, { image, quality })).resolves.toBe('duplicate');

    const result = fake.records.get('img_1')!.stages['standardize'] as standardizeV1.StandardizeResult;
    expect(result.derivative!.key).toMatch(/^derived\//);
    const derivative = await fake.blobs.get(result.derivative!.key);
    expect(await sharp(derivative).metadata()).toMatchObject({ format: 'jpeg', width: 192, height: 256 });
    const thumbnail = await fake.blobs.get(result.thumbnail!.key);
    expect(await sharp(thumbnail).metadata()).toMatchObject({ width: 48, height: 64 });

    expect(fake.events.map((event) => event.topic)).toEqual([Topics.imageStandardized]);
    const announced = standardizeV1.ImageStandardized.decode(fake.events[0]!.payload!);
    expect(announced).toMatchObject({
      image: { imageId: 'img_1' },
      quality,
      standardize: { sha256: result.sha256 },
    });
  });

  it('rejects an animation when the project says so, with the reason on image.rejected', async () => {
    const fake = setUp();
    const raw = readFileSync(corpusPath('formats/animated-loop-3.gif'));
    const image = await fake.addImage({ imageId: 'img_2', tenantId: 't1', projectId: 'no-animations' }, raw);
    await fake.deliver(standardizeHandler, { image, quality });
    expect(fake.records.get('img_2')).toMatchObject({ status: 'rejected', reasons: [{ code: 'animated' }] });
    expect(fake.events.map((event) => event.topic)).toEqual([Topics.imageRejected]);
  });
});
