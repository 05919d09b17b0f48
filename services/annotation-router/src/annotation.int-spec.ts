import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { annotationV1, complianceV1, curatedV1, qualityV1, Topics } from '@aperture/contracts';
import { blobRef, startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { credentials } from '@grpc/grpc-js';
import { annotationRouterStage } from './stage';
import { taskModel } from './tasks.model';

// The real consumer and gRPC server, in-process, against the real broker and a database of its own.
describe('annotation-router stage', () => {
  let harness: StageHarness;
  let client: InstanceType<typeof annotationV1.AnnotationServiceClient>;
  const leaseTask = (request: annotationV1.LeaseTaskRequest) =>
    new Promise<annotationV1.LeaseTaskResponse>((resolve, reject) =>
      client.leaseTask(request, (error, response) => (error ? reject(error) : resolve(response))),
    );
  const submitResult = (request: annotationV1.SubmitResultRequest) =>
    new Promise<annotationV1.SubmitResultResponse>((resolve, reject) =>
      client.submitResult(request, (error, response) => (error ? reject(error) : resolve(response))),
    );

  beforeAll(async () => {
    harness = await startStageHarness(annotationRouterStage, [Topics.imageCurated, Topics.imageRejected]);
    await harness.createProject('t1', 'direct', { annotation: { required: false } });
    await harness.createProject('t1', 'labelled', {
      annotation: { required: true, taskType: 'classification' },
    });
    client = new annotationV1.AnnotationServiceClient(
      `127.0.0.1:${harness.stage.grpcPort}`,
      credentials.createInsecure(),
    );
  });
  afterAll(async () => {
    client?.close();
    await harness?.close();
  });

  it('curates an image of a project without annotation at once, once', async () => {
    const imageId = `img_a_direct_${Date.now()}`;
    const event = await stageHarnessImage(harness, imageId, 'direct');
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.settle(imageId);

    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'curated',
      stage: 'annotation-router',
    });
    const published = harness.received(Topics.imageCurated, imageId);
    expect(published).toHaveLength(1);
    const curated = curatedV1.ImageCurated.decode(published[0]!);
    expect(curated).toMatchObject({
      image: { imageId },
      output: { key: `cleared/${imageId}.jpg` },
      compliance: { hadGps: true },
      annotationJson: '',
    });
    expect(Number.isNaN(Date.parse(curated.curatedAt))).toBe(false);
  });

  it('holds an image for annotation with one task, and curates it once with the submitted labels', async () => {
    const imageId = `img_a_task_${Date.now()}`;
    const event = await stageHarnessImage(harness, imageId, 'labelled');
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.settle(imageId);

    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'pending_annotation',
      stages: { 'annotation-router': { routed: 'annotation', taskType: 'classification' } },
    });
    expect(await taskModel(harness.ctx.pipeline.connection).countDocuments({ imageId })).toBe(1);
    expect(harness.received(Topics.imageCurated, imageId)).toHaveLength(0);

    const { task } = await leaseTask({
      tenantId: 't1',
      projectId: 'labelled',
      annotatorId: 'ann-1',
      leaseSeconds: 0,
    });
    expect(task).toMatchObject({
      imageId,
      state: annotationV1.TaskState.TASK_STATE_LEASED,
      annotatorId: 'ann-1',
      image: { key: `cleared/${imageId}.jpg` },
    });
    // Leased: nobody else gets it.
    expect(
      (await leaseTask({ tenantId: 't1', projectId: 'labelled', annotatorId: 'ann-2', leaseSeconds: 0 }))
        .task,
    ).toBeUndefined();

    const submit = {
      tenantId: 't1',
      taskId: task!.taskId,
      annotatorId: 'ann-1',
      resultJson: '{"class":"shelf"}',
    };
    await expect(submitResult({ ...submit, resultJson: '{"class":' })).rejects.toMatchObject({ code: 3 });
    await expect(submitResult({ ...submit, annotatorId: 'ann-2' })).rejects.toMatchObject({ code: 9 });
    await expect(submitResult({ ...submit, tenantId: 't2' })).rejects.toMatchObject({ code: 5 });
    expect((await submitResult(submit)).task).toMatchObject({
      state: annotationV1.TaskState.TASK_STATE_DONE,
    });
    expect((await submitResult(submit)).task).toMatchObject({
      state: annotationV1.TaskState.TASK_STATE_DONE,
    }); // a retry
    await harness.settle(imageId);

    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'curated',
      stage: 'annotation',
      stages: { annotation: { taskId: task!.taskId, annotatorId: 'ann-1', annotation: { class: 'shelf' } } },
    });
    const published = harness.received(Topics.imageCurated, imageId);
    expect(published).toHaveLength(1);
    expect(curatedV1.ImageCurated.decode(published[0]!)).toMatchObject({
      image: { imageId },
      output: { key: `cleared/${imageId}.jpg` },
      annotationJson: '{"class":"shelf"}',
    });
  });
});

/** An image record and the ImageCleared event compliance would have sent for it, its blobs stored. */
async function stageHarnessImage(
  harness: StageHarness,
  imageId: string,
  projectId: string,
): Promise<Uint8Array> {
  const raw = readFileSync(corpusPath('cameras/jpg/exif-org/canon-ixus.jpg'));
  const image = await harness.createImage(imageId, raw, { tenantId: 't1', projectId });
  const cleared = await harness.ctx.blobs.put(`cleared/${imageId}.jpg`, raw, 'image/jpeg');
  return complianceV1.ImageCleared.encode({
    image,
    quality: qualityV1.QualityResult.fromPartial({ format: 'jpeg', width: 640, height: 480, frames: 1 }),
    compliance: {
      consentIds: [],
      removedMetadata: ['exif'],
      hadGps: true,
      cleared: blobRef(cleared, 'image/jpeg'),
    },
  }).finish();
}
