import { complianceV1, curatedV1, inputTopicOf, Topics } from '@aperture/contracts';
import { resolvePolicy } from '@aperture/policy';
import { fakeStageContext } from '@aperture/stage-runtime/testing';
import { annotationHandler } from './annotation.consumer';
import type { AnnotationContext, TaskQueue } from './queue';

// The annotation-router's handler without a broker or a database: fakeStageContext, and a task
// queue that records what it was asked (the queue itself is tested on the real database).
describe('the annotation-router handler', () => {
  async function setUp(annotation: Record<string, unknown>) {
    const fake = fakeStageContext('annotation-router');
    fake.addProject('t1', 'p1', resolvePolicy({ annotation }).policy);
    const asked: string[] = [];
    const queue = {
      createTasks: async (cleared: complianceV1.ImageCleared) => {
        asked.push(cleared.image!.imageId);
        return ['task_a', 'task_b'];
      },
    } as unknown as TaskQueue;
    const ctx: AnnotationContext = { ...fake, queue };
    const image = await fake.addImage(
      { imageId: 'img_1', tenantId: 't1', projectId: 'p1' },
      Buffer.from('raw'),
    );
    const cleared = complianceV1.ImageCleared.fromPartial({
      image,
      standardize: { width: 640, height: 480 },
      compliance: { cleared: { key: 'cleared/img_1.jpg', contentType: 'image/jpeg' } },
    });
    return { fake, ctx, cleared, asked };
  }

  it('consumes the topic the pipeline gives the annotation-router', () => {
    expect(annotationHandler.topic).toBe(inputTopicOf('annotation-router'));
  });

  it('curates an image at once when the project needs no annotation, announcing it once', async () => {
    const { fake, ctx, cleared, asked } = await setUp({ required: false });
    await expect(fake.deliver(annotationHandler, cleared, ctx)).resolves.toBe('done');
    await expect(fake.deliver(annotationHandler, cleared, ctx)).resolves.toBe('duplicate');
    expect(fake.records.get('img_1')).toMatchObject({
      status: 'curated',
      stages: { 'annotation-router': { routed: 'curated' } },
    });
    expect(fake.events.map((event) => event.topic)).toEqual([Topics.imageCurated]);
    expect(curatedV1.ImageCurated.decode(fake.events[0]!.payload!).image?.imageId).toBe('img_1');
    expect(asked).toEqual([]);
  });

  it('creates the tasks and waits for annotators, with no event, when the project needs annotation', async () => {
    const { fake, ctx, cleared, asked } = await setUp({ required: true, taskType: 'bbox', classes: ['car'] });
    await expect(fake.deliver(annotationHandler, cleared, ctx)).resolves.toBe('done');
    expect(asked).toEqual(['img_1']);
    expect(fake.records.get('img_1')).toMatchObject({
      status: 'pending_annotation',
      stages: {
        'annotation-router': {
          routed: 'annotation',
          taskIds: ['task_a', 'task_b'],
          taskType: 'bbox',
          overlap: 2,
        },
      },
    });
    expect(fake.events).toEqual([]);
  });

  it('retries an event without a cleared derivative or dimensions, writing nothing', async () => {
    const { fake, ctx, cleared } = await setUp({ required: true, taskType: 'bbox', classes: ['car'] });
    await expect(fake.deliver(annotationHandler, { ...cleared, compliance: undefined }, ctx)).rejects.toThrow(
      'has no cleared derivative',
    );
    await expect(
      fake.deliver(annotationHandler, { ...cleared, standardize: undefined, quality: undefined }, ctx),
    ).rejects.toThrow('has no dimensions');
    expect(fake.records.get('img_1')!.stages).toEqual({});
  });
});
