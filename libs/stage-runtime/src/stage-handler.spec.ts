import { commonV1, Topics } from '@aperture/contracts';
import { hold, next, reject, retry, skip, type StageHandler } from './stage-handler';
import { fakeStageContext } from './testing/fake-context';

// The steps stage-runtime runs around every stage's `process`, on fakeStageContext.
describe('a stage handler, as stage-runtime runs it', () => {
  const handlerOf = (
    decide: StageHandler<typeof Topics.imageIngested>['process'],
    settled: string[] = [],
  ): StageHandler<typeof Topics.imageIngested> => ({
    stage: 'quality',
    topic: Topics.imageIngested,
    process: decide,
    settled: async ({ outcome, result }) => void settled.push(`${outcome}:${JSON.stringify(result)}`),
  });

  async function setUp() {
    const fake = fakeStageContext();
    fake.addProject('t1', 'p1');
    const image = await fake.addImage(
      { imageId: 'img_1', tenantId: 't1', projectId: 'p1' },
      Buffer.from('raw bytes'),
    );
    return { fake, image };
  }

  it('hands process the raw bytes and the policy, and writes the next event with the result once', async () => {
    const { fake, image } = await setUp();
    const settled: string[] = [];
    const handler = handlerOf(async (event, record, policy, ctx) => {
      expect(record._id).toBe('img_1');
      expect(policy.quality).toBeDefined();
      expect((await ctx.raw()).toString()).toBe('raw bytes');
      return next(Topics.imageQualified, { image: event.image, quality: undefined }, { ok: 1 });
    }, settled);
    await expect(fake.deliver(handler, { image })).resolves.toBe('done');
    await expect(fake.deliver(handler, { image })).resolves.toBe('duplicate');
    expect(fake.records.get('img_1')).toMatchObject({
      status: 'processing',
      stage: 'quality',
      stages: { quality: { ok: 1 } },
    });
    expect(fake.events.map((event) => [event.topic, event.key])).toEqual([[Topics.imageQualified, 'img_1']]);
    expect(settled).toEqual(['done:{"ok":1}', 'duplicate:{"ok":1}']);
  });

  it('writes a rejection with its reasons and an ImageRejected event', async () => {
    const { fake, image } = await setUp();
    await fake.deliver(
      handlerOf(async () => reject([{ code: 'blurry', message: 'too blurry' }], { score: 2 })),
      {
        image,
      },
    );
    expect(fake.records.get('img_1')).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'blurry', message: 'too blurry' }],
      stages: { quality: { score: 2 } },
    });
    expect(commonV1.ImageRejected.decode(fake.events[0]!.payload!)).toMatchObject({
      stage: 'quality',
      reasons: [{ code: 'blurry' }],
    });
  });

  it('holds a result without an event, skips without writing, and throws for a retry', async () => {
    const { fake, image } = await setUp();
    await expect(
      fake.deliver(
        handlerOf(async () => skip('not ours')),
        { image },
      ),
    ).resolves.toBe('skipped');
    await expect(
      fake.deliver(
        handlerOf(async () => retry('blob store down')),
        { image },
      ),
    ).rejects.toThrow('blob store down');
    expect(fake.records.get('img_1')!.stages).toEqual({});
    await fake.deliver(
      handlerOf(async () => hold({ taskIds: ['a'] }, 'pending_annotation')),
      { image },
    );
    expect(fake.records.get('img_1')).toMatchObject({
      status: 'pending_annotation',
      stages: { quality: { taskIds: ['a'] } },
    });
    expect(fake.events).toEqual([]);
  });

  it('rejects an image of an unknown project as project_not_found without calling process', async () => {
    const { fake, image } = await setUp();
    const process = jest.fn();
    await fake.deliver(handlerOf(process), { image: { ...image, projectId: 'gone' } });
    expect(process).not.toHaveBeenCalled();
    // The record is of project p1: an event naming another project is skipped, not judged.
    expect(fake.records.get('img_1')!.stages).toEqual({});
    fake.records.get('img_1')!.projectId = 'gone';
    await fake.deliver(handlerOf(process), { image: { ...image, projectId: 'gone' } });
    expect(process).not.toHaveBeenCalled();
    expect(fake.records.get('img_1')).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'project_not_found' }],
    });
  });
});
