import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { callGrpc, corpusPath, isolated, probeTenantIsolation, withHeaders } from '@aperture/testing';
import { annotationV1, complianceV1, curatedV1, qualityV1, Topics } from '@aperture/contracts';
import { blobRef } from '@aperture/stage-runtime';
import { startStageHarness, type StageHarness } from '@aperture/stage-runtime/testing';
import { CoverageCounters } from '@aperture/persistence';
import { credentials, status } from '@grpc/grpc-js';
import { decodeCurated } from '@aperture/curated-consumer';
import { createKafka } from '@aperture/messaging';
import { ConfigResourceTypes } from 'kafkajs';
import { splitOf } from './domain/split';
import { TaskQueue } from './queue';
import { annotationRouterStage } from './stage';

const bbox = (x: number, y: number, className = 'car', width = 100, height = 80) => ({
  class: className,
  box: { x, y, width, height },
});

// The real consumer, gRPC server and REST API, in-process, against the real broker and a database of its own.
describe('annotation-router stage', () => {
  let harness: StageHarness;
  let client: InstanceType<typeof annotationV1.AnnotationServiceClient>;
  let now = new Date('2026-01-01T00:00:00Z');
  let queue: TaskQueue; // the same queue, with a clock the tests move
  const apiKey = 'apk_annotation_router_test_key_1';
  const otherKey = 'apk_annotation_router_test_key_2';
  const call =
    <Req, Res>(method: 'leaseTask' | 'submitResult' | 'getTaskImage' | 'getAnnotatorScores') =>
    (request: Req) =>
      new Promise<Res>((resolve, reject) =>
        (client[method] as unknown as (r: Req, cb: (e: Error | null, r: Res) => void) => void).call(
          client,
          request,
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
  const leaseTask = call<annotationV1.LeaseTaskRequest, annotationV1.LeaseTaskResponse>('leaseTask');
  const submitResult = call<annotationV1.SubmitResultRequest, annotationV1.SubmitResultResponse>(
    'submitResult',
  );
  const getTaskImage = call<annotationV1.GetTaskImageRequest, annotationV1.GetTaskImageResponse>(
    'getTaskImage',
  );
  const rest = async (method: string, path: string, body?: unknown, key: string | null = apiKey) => {
    const response = await fetch(`http://127.0.0.1:${harness.stage.httpPort}${path}`, {
      method,
      headers: {
        ...(key && { 'x-api-key': key }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      type,
      body: type.includes('json')
        ? ((await response.json()) as Record<string, unknown>)
        : Buffer.from(await response.arrayBuffer()),
    };
  };
  /** An image cleared for `projectId`, routed by the stage. */
  const cleared = async (projectId: string, region = 'EU', tenantId = 't1') => {
    const imageId = `img_${projectId}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const event = await clearedEvent(harness, imageId, projectId, region, tenantId);
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.settle(imageId);
    return imageId;
  };
  const curated = (imageId: string) => {
    const published = harness.received(Topics.imageCurated, imageId);
    expect(published).toHaveLength(1);
    return curatedV1.ImageCurated.decode(published[0]!);
  };

  beforeAll(async () => {
    harness = await startStageHarness(annotationRouterStage, [Topics.imageCurated, Topics.imageRejected]);
    queue = new TaskQueue(harness.ctx, () => now);
    const schema = {
      classes: ['shelf', 'car', 'person'],
      attributes: [{ name: 'occluded', type: 'boolean', classes: ['person'], required: true }],
    };
    await harness.createProject('t1', 'direct', { annotation: { required: false } });
    await harness.createProject('t1', 'labelled', { annotation: { required: true, ...schema } });
    await harness.createProject('t1', 'routed', {
      annotation: {
        required: true,
        ...schema,
        pools: ['default', 'vendor'],
        routing: [{ region: 'EU', pools: ['eu-team'] }],
      },
    });
    await harness.createProject('t1', 'interop', {
      annotation: { required: true, taskType: 'bbox', ...schema },
    });
    await harness.createProject('t1', 'urgent', { annotation: { required: true, ...schema, priority: 50 } });
    await harness.createProject('t1', 'boxes', {
      annotation: {
        required: true,
        taskType: 'bbox',
        ...schema,
        overlap: 3,
        consensusThreshold: 0.7,
        goldRatio: 0.5,
      },
    });
    for (const [key, tenantId] of [
      [apiKey, 't1'],
      [otherKey, 't2'],
    ] as const) {
      await harness.ctx.pipeline.connection.collection('api_keys').insertOne({
        _id: `key_${tenantId}` as never,
        tenantId,
        hash: createHash('sha256').update(key).digest('hex'),
        prefix: key.slice(0, 12),
        createdAt: new Date(),
        revokedAt: null,
      });
    }
    // An internal caller (the service identity) naming the tenant and the annotator.
    client = new annotationV1.AnnotationServiceClient(harness.grpcAddress, credentials.createInsecure(), {
      interceptors: [withHeaders(harness.serviceHeaders)],
    });
  });
  afterAll(async () => {
    client?.close();
    await harness?.close();
  });

  it('curates an image of a project without annotation at once, once', async () => {
    const imageId = `img_a_direct_${Date.now()}`;
    const event = await clearedEvent(harness, imageId, 'direct');
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.produce(Topics.imageCleared, imageId, event);
    await harness.settle(imageId);
    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'curated',
      stage: 'annotation-router',
    });
    const record = curated(imageId);
    expect(record).toMatchObject({
      image: { imageId },
      output: { key: `cleared/${imageId}.jpg` },
      annotationJson: '',
    });
    expect(Number.isNaN(Date.parse(record.curatedAt))).toBe(false);
  });

  it('leases over gRPC, refuses bad results with named fields, and curates once with the labels', async () => {
    const imageId = await cleared('labelled');
    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'pending_annotation',
      stages: { 'annotation-router': { routed: 'annotation', taskType: 'classification', overlap: 1 } },
    });
    expect(harness.received(Topics.imageCurated, imageId)).toHaveLength(0);

    const { task } = await leaseTask({
      tenantId: 't1',
      projectId: 'labelled',
      annotatorId: 'ann-1',
      leaseSeconds: 0,
      pool: '',
      taskType: '',
    });
    expect(task).toMatchObject({
      imageId,
      state: annotationV1.TaskState.TASK_STATE_LEASED,
      kind: annotationV1.TaskKind.TASK_KIND_ANNOTATE,
      annotatorId: 'ann-1',
      width: 640,
      height: 480,
      leaseGeneration: 1,
      image: { key: `cleared/${imageId}.jpg` },
    });
    // Leased: nobody else gets it.
    expect(
      (
        await leaseTask({
          tenantId: 't1',
          projectId: 'labelled',
          annotatorId: 'ann-2',
          leaseSeconds: 0,
          pool: '',
          taskType: '',
        })
      ).task,
    ).toBeUndefined();
    // Only the cleared derivative, only to the lease holder.
    const image = await getTaskImage({ tenantId: 't1', taskId: task!.taskId, annotatorId: 'ann-1' });
    expect(image.contentType).toBe('image/jpeg');
    expect(createHash('sha256').update(image.content).digest('hex')).toBe(task!.image!.checksum!.hex);
    await expect(
      getTaskImage({ tenantId: 't1', taskId: task!.taskId, annotatorId: 'ann-2' }),
    ).rejects.toMatchObject({ code: 9 });

    const submit = {
      tenantId: 't1',
      taskId: task!.taskId,
      annotatorId: 'ann-1',
      resultJson: '',
      reject: false,
    };
    await expect(submitResult({ ...submit, resultJson: '{"labels":' })).rejects.toMatchObject({ code: 3 });
    await expect(
      submitResult({ ...submit, resultJson: '{"labels":[{"class":"truck"}]}' }),
    ).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining(
        'labels[0].class "truck" is not a class of the project (shelf, car, person)',
      ),
    });
    await expect(
      submitResult({ ...submit, resultJson: '{"labels":[{"class":"person"}]}' }),
    ).rejects.toMatchObject({
      details: expect.stringContaining('labels[0].attributes.occluded is required for class "person"'),
    });
    const labels = {
      labels: [{ className: 'shelf', polygon: [], keypoints: [], attributes: {}, trackId: '' }],
    };
    await expect(submitResult({ ...submit, annotatorId: 'ann-2', annotation: labels })).rejects.toMatchObject(
      { code: 9 },
    );
    await expect(submitResult({ ...submit, tenantId: 't2', annotation: labels })).rejects.toMatchObject({
      code: 5,
    });
    const done = await submitResult({ ...submit, annotation: labels });
    expect(done).toMatchObject({
      outcome: 'accepted',
      agreement: 1,
      task: { state: annotationV1.TaskState.TASK_STATE_DONE },
    });
    expect(await submitResult({ ...submit, annotation: labels })).toMatchObject({ outcome: 'accepted' }); // a retry
    await harness.settle(imageId);

    expect(await harness.records.get(imageId)).toMatchObject({
      status: 'curated',
      stage: 'annotation',
      stages: {
        annotation: { source: 'single', annotators: ['ann-1'], annotation: { labels: [{ class: 'shelf' }] } },
      },
    });
    expect(curated(imageId)).toMatchObject({
      image: { imageId },
      annotationJson: '{"labels":[{"class":"shelf"}]}',
    });
    const record = decodeCurated(harness.received(Topics.imageCurated, imageId)[0]!);
    expect(record).toMatchObject({
      imageId,
      split: splitOf(imageId, { train: 0.8, val: 0.1, test: 0.1 }),
      image: { key: `cleared/${imageId}.jpg`, width: 640, height: 480, sha256: task!.image!.checksum!.hex },
      labels: [{ className: 'shelf', attributes: {} }],
      annotation: { taskType: 'classification', source: 'single', agreement: 1, annotators: ['ann-1'] },
      lineage: { stages: ['ingest', 'quality', 'compliance', 'annotation-router', 'annotation'] },
      compliance: { region: 'EU', hadGps: true, removedMetadata: ['exif'] },
    });
  });

  it('keeps the curated topic compacted (keyed by image id)', async () => {
    const kafka = createKafka({
      clientId: 'it-config',
      brokers: process.env['KAFKA_BROKERS']!.split(','),
      log: () => undefined,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: Topics.imageCurated, configNames: ['cleanup.policy'] },
        ],
      });
      expect(described.resources[0]!.configEntries).toEqual([
        expect.objectContaining({ configName: 'cleanup.policy', configValue: 'compact' }),
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('neither leases a task nor serves its image once the image was stopped (consent revoked) or erased', async () => {
    const imageId = await cleared('labelled');
    now = new Date('2026-02-01T00:00:00Z');
    const leased = await queue.lease({
      tenantId: 't1',
      projectId: 'labelled',
      annotatorId: 'early',
      leaseSeconds: 60,
    });
    expect(leased).toMatchObject({ imageId });
    // What compliance does on a revocation: the record is rejected in one write.
    await harness.records.model.updateOne(
      { _id: imageId },
      { $set: { status: 'rejected', reasons: [{ code: 'consent_revoked', message: 'revoked' }] } },
    );
    await expect(queue.image('t1', leased!._id, 'early')).rejects.toMatchObject({ code: 'not_found' });
    now = new Date('2026-02-01T00:02:00Z'); // the lease ran out: the task would be leasable again
    expect(await queue.lease({ tenantId: 't1', projectId: 'labelled', annotatorId: 'late' })).toBeNull();
  });

  it('returns a task whose lease ran out to the queue (controllable clock)', async () => {
    const imageId = await cleared('labelled');
    now = new Date('2026-01-01T00:00:00Z');
    const first = await queue.lease({
      tenantId: 't1',
      projectId: 'labelled',
      annotatorId: 'slow',
      leaseSeconds: 60,
    });
    expect(first).toMatchObject({
      imageId,
      leaseGeneration: 1,
      leaseExpiresAt: new Date('2026-01-01T00:01:00Z'),
    });
    now = new Date('2026-01-01T00:00:59Z');
    expect(await queue.lease({ tenantId: 't1', projectId: 'labelled', annotatorId: 'fast' })).toBeNull();
    now = new Date('2026-01-01T00:01:00Z');
    const second = await queue.lease({ tenantId: 't1', projectId: 'labelled', annotatorId: 'fast' });
    expect(second).toMatchObject({ _id: first!._id, annotatorId: 'fast', leaseGeneration: 2 });
    // The policy's lease length (300 s) applies when the annotator asks for none.
    expect(second!.leaseExpiresAt).toEqual(new Date('2026-01-01T00:06:00Z'));
    await expect(
      queue.submit({
        tenantId: 't1',
        taskId: first!._id,
        annotatorId: 'slow',
        result: { labels: [{ class: 'car' }] },
      }),
    ).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(
      await queue.submit({
        tenantId: 't1',
        taskId: first!._id,
        annotatorId: 'fast',
        result: { labels: [{ class: 'car' }] },
      }),
    ).toMatchObject({ outcome: 'accepted' });
    await harness.settle(imageId);
    expect(curated(imageId).annotationJson).toBe('{"labels":[{"class":"car"}]}');
  });

  it('routes by region to pools, and leases by priority', async () => {
    now = new Date(); // leases below must still hold for the REST API, which runs on the real clock
    const eu = await cleared('routed', 'EU');
    const us = await cleared('routed', 'US');
    expect(
      await queue.lease({ tenantId: 't1', projectId: 'routed', annotatorId: 'v1', pool: 'vendor' }),
    ).toMatchObject({
      imageId: us,
      pools: ['default', 'vendor'],
    });
    expect(
      await queue.lease({ tenantId: 't1', projectId: 'routed', annotatorId: 'v2', pool: 'vendor' }),
    ).toBeNull();
    expect(
      await queue.lease({ tenantId: 't1', projectId: 'routed', annotatorId: 'e1', pool: 'eu-team' }),
    ).toMatchObject({
      imageId: eu,
      pools: ['eu-team'],
    });
    await expect(queue.lease({ tenantId: 't1', annotatorId: 'x', pool: 'Bad Pool' })).rejects.toMatchObject({
      code: 'invalid_request',
    });
    await expect(
      queue.lease({ tenantId: 't2', projectId: 'routed', annotatorId: 'x' }),
    ).rejects.toMatchObject({ code: 'not_found' });

    const low = await cleared('labelled');
    const high = await cleared('urgent');
    const leased = await queue.lease({ tenantId: 't1', annotatorId: 'any' }); // any project of the tenant
    expect(leased).toMatchObject({ imageId: high, priority: 50 });
    expect(await queue.lease({ tenantId: 't1', annotatorId: 'any2' })).toMatchObject({
      imageId: low,
      priority: 0,
    });
  });

  it('serves the same over REST with API keys, tenant scoping and the {"error"} shape', async () => {
    const imageId = await cleared('labelled');
    expect(await rest('POST', '/v1/tasks/lease', { annotatorId: 'r1' }, null)).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthenticated', message: 'missing x-api-key header' } },
    });
    expect(await rest('POST', '/v1/tasks/lease', { annotatorId: 'r1' }, 'apk_wrong_key_123')).toMatchObject({
      status: 401,
    });
    expect(
      await rest('POST', '/v1/tasks/lease', { projectId: 'labelled', annotatorId: 'r1' }, otherKey),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    const leased = await rest('POST', '/v1/tasks/lease', {
      projectId: 'labelled',
      annotatorId: 'r1',
      leaseSeconds: 120,
    });
    expect(leased).toMatchObject({
      status: 200,
      body: {
        task: {
          imageId,
          kind: 'annotate',
          state: 'leased',
          width: 640,
          height: 480,
          schema: { classes: ['shelf', 'car', 'person'] },
        },
      },
    });
    const task = (leased.body as { task: { taskId: string; image: { url: string; sha256: string } } }).task;
    const bytes = await rest('GET', task.image.url);
    expect(bytes).toMatchObject({ status: 200, type: 'image/jpeg' });
    expect(
      createHash('sha256')
        .update(bytes.body as Buffer)
        .digest('hex'),
    ).toBe(task.image.sha256);
    expect(await rest('GET', task.image.url, undefined, otherKey)).toMatchObject({ status: 404 });

    const bad = await rest('POST', `/v1/tasks/${task.taskId}/result`, {
      annotatorId: 'r1',
      result: { labels: [{ class: 'person', attributes: { occluded: 'maybe' } }] },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'invalid_request',
          message: 'the result does not fit the label schema',
          details: [{ field: 'labels[0].attributes.occluded', message: 'must be true or false' }],
        },
      },
    });
    expect(await rest('POST', `/v1/tasks/${task.taskId}/result`, { annotatorId: 'r1' })).toMatchObject({
      status: 400,
      body: { error: { message: 'result is required' } },
    });
    const ok = await rest('POST', `/v1/tasks/${task.taskId}/result`, {
      annotatorId: 'r1',
      result: { labels: [{ class: 'person', attributes: { occluded: true } }] },
    });
    expect(ok).toMatchObject({ status: 200, body: { outcome: 'accepted', task: { state: 'done' } } });
    await harness.settle(imageId);
    expect(curated(imageId).annotationJson).toBe(
      '{"labels":[{"class":"person","attributes":{"occluded":"true"}}]}',
    );

    // The project's curated records and their images, for exports.
    const listing = await rest('GET', '/v1/projects/labelled/curated?limit=500');
    expect(listing).toMatchObject({
      status: 200,
      body: {
        project: { taskType: 'classification', classes: ['shelf', 'car', 'person'] },
        nextCursor: null,
      },
    });
    const listed = (listing.body as { images: Array<{ imageId: string; labels: unknown[]; split: string }> })
      .images;
    expect(listed.find((image) => image.imageId === imageId)).toMatchObject({
      labels: [{ className: 'person', attributes: { occluded: 'true' } }],
      split: splitOf(imageId, { train: 0.8, val: 0.1, test: 0.1 }),
    });
    expect((listing.body as { total: number }).total).toBe(listed.length);
    expect(await rest('GET', `/v1/projects/labelled/curated/${imageId}/image`)).toMatchObject({
      status: 200,
      type: 'image/jpeg',
    });
    expect(
      await rest('GET', `/v1/projects/labelled/curated/${imageId}/image`, undefined, otherKey),
    ).toMatchObject({
      status: 404,
    });
    expect(await rest('GET', '/v1/projects/labelled/curated?split=holdout')).toMatchObject({ status: 400 });
  });

  it('exports tasks as Label Studio tasks and imports Label Studio and CVAT results', async () => {
    const first = await cleared('interop');
    const second = await cleared('interop');
    const third = await cleared('interop');
    const exported = await rest('POST', '/v1/projects/interop/tasks/export', {
      annotatorId: 'label-studio',
      limit: 2,
      leaseSeconds: 3600,
    });
    expect(exported.status).toBe(200);
    const tasks = exported.body as unknown as Array<{
      data: {
        image: string;
        aperture_task_id: string;
        aperture_image_id: string;
        width: number;
        height: number;
      };
    }>;
    expect(tasks.map((task) => task.data.aperture_image_id)).toEqual([first, second]);
    // The tool fetches each image by its URL (with the API key).
    const image = await fetch(tasks[0]!.data.image, { headers: { 'x-api-key': apiKey } });
    expect(image.status).toBe(200);

    // What Label Studio exports after annotation: the tasks with their data and annotations.
    const labelStudio = tasks.map((task, index) => ({
      id: 100 + index,
      data: task.data,
      annotations: [
        {
          id: 500 + index,
          completed_by: 1,
          was_cancelled: false,
          result: [
            {
              id: `r${index}`,
              type: 'rectanglelabels',
              from_name: 'label',
              to_name: 'image',
              original_width: task.data.width,
              original_height: task.data.height,
              value: { x: 10, y: 10, width: 50, height: 50, rotation: 0, rectanglelabels: ['car'] },
            },
            ...(index === 1
              ? [
                  {
                    id: 'r9',
                    type: 'rectanglelabels',
                    value: { x: 80, y: 80, width: 40, height: 10, rectanglelabels: ['car'] },
                    original_width: 640,
                    original_height: 480,
                  },
                ]
              : []),
          ],
        },
      ],
    }));
    const imported = await rest('POST', '/v1/projects/interop/results/import', {
      format: 'label-studio',
      annotatorId: 'label-studio',
      content: labelStudio,
    });
    expect(imported).toMatchObject({
      status: 200,
      body: {
        imported: 1,
        failed: 1,
        results: [
          { taskId: tasks[0]!.data.aperture_task_id, outcome: 'accepted' },
          {
            taskId: tasks[1]!.data.aperture_task_id,
            error: { code: 'invalid_request', details: [{ field: 'labels[1].box' }] },
          },
        ],
      },
    });
    await harness.settle(first);
    expect(JSON.parse(curated(first).annotationJson)).toEqual({
      labels: [{ class: 'car', box: { x: 64, y: 48, width: 320, height: 240 } }],
    });

    // The same team in CVAT: the images are named <taskId>.jpg; a CVAT for images 1.1 export comes back.
    const cvat = await rest('POST', '/v1/projects/interop/tasks/export', { annotatorId: 'cvat', limit: 5 });
    const cvatTasks = cvat.body as unknown as Array<{
      data: { aperture_task_id: string; aperture_image_id: string };
    }>;
    expect(cvatTasks.map((task) => task.data.aperture_image_id)).toEqual([third]);
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version>
  <image id="0" name="${cvatTasks[0]!.data.aperture_task_id}.jpg" width="640" height="480">
    <box label="person" source="manual" occluded="0" xtl="100.00" ytl="50.00" xbr="200.00" ybr="250.00" z_order="0">
      <attribute name="occluded">false</attribute>
    </box>
  </image>
</annotations>`;
    expect(
      await rest('POST', '/v1/projects/interop/results/import', {
        format: 'cvat',
        annotatorId: 'cvat',
        content: xml,
      }),
    ).toMatchObject({ status: 200, body: { imported: 1, failed: 0 } });
    await harness.settle(third);
    expect(JSON.parse(curated(third).annotationJson)).toEqual({
      labels: [
        {
          class: 'person',
          box: { x: 100, y: 50, width: 100, height: 200 },
          attributes: { occluded: 'false' },
        },
      ],
    });
    expect(
      await rest('POST', '/v1/projects/interop/results/import', {
        format: 'yolo',
        annotatorId: 'x',
        content: '',
      }),
    ).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'format must be label-studio or cvat' } },
    });
  });

  it('merges agreeing annotations, sends a disagreement to review, and scores gold tasks', async () => {
    const lease = (annotatorId: string, taskType = '') =>
      queue.lease({ tenantId: 't1', projectId: 'boxes', annotatorId, taskType });
    const submit = (taskId: string, annotatorId: string, labels: unknown[]) =>
      queue.submit({ tenantId: 't1', taskId, annotatorId, result: { labels } });

    // Three annotators agree: accepted, with the mean boxes.
    const agreed = await cleared('boxes');
    const a1 = (await lease('a1'))!;
    expect(await lease('a1')).toBeNull(); // independent: a second task of the same image is not for a1
    const a2 = (await lease('a2'))!;
    const a3 = (await lease('a3'))!;
    expect(new Set([a1._id, a2._id, a3._id]).size).toBe(3);
    expect(await submit(a1._id, 'a1', [bbox(100, 100)])).toMatchObject({ outcome: 'waiting' });
    expect(await submit(a2._id, 'a2', [bbox(104, 100)])).toMatchObject({ outcome: 'waiting' });
    const accepted = await submit(a3._id, 'a3', [bbox(102, 103)]);
    expect(accepted.outcome).toBe('accepted');
    expect(accepted.agreement).toBeGreaterThan(0.9);
    await harness.settle(agreed);
    expect(JSON.parse(curated(agreed).annotationJson)).toEqual({
      labels: [{ class: 'car', box: { x: 102, y: 101, width: 100, height: 80 } }],
    });

    // They disagree: review; the reviewer's labels are accepted.
    const disputed = await cleared('boxes');
    const b = [(await lease('b1'))!, (await lease('b2'))!, (await lease('b3'))!];
    await submit(b[0]!._id, 'b1', [bbox(100, 100)]);
    await submit(b[1]!._id, 'b2', [bbox(300, 300, 'shelf')]);
    const review = await submit(b[2]!._id, 'b3', [bbox(100, 100, 'shelf')]);
    expect(review.outcome).toBe('review');
    expect(review.agreement).toBeLessThan(0.7);
    expect(await harness.records.get(disputed)).toMatchObject({ status: 'pending_annotation' });
    const reviewTask = (await lease('lead', 'review'))!;
    expect(reviewTask).toMatchObject({ kind: 'review', imageId: disputed, agreement: review.agreement });
    expect(JSON.parse(reviewTask.candidatesJson)).toHaveLength(3);
    expect(await submit(reviewTask._id, 'lead', [bbox(100, 100)])).toMatchObject({ outcome: 'accepted' });
    await harness.settle(disputed);
    expect(await harness.records.get(disputed)).toMatchObject({
      status: 'curated',
      stages: { annotation: { source: 'review', reviewer: 'lead' } },
    });
    expect(JSON.parse(curated(disputed).annotationJson)).toEqual({ labels: [bbox(100, 100)] });

    // A reviewer may refuse an image: rejected with a reason.
    const refused = await cleared('boxes');
    const c = [(await lease('c1'))!, (await lease('c2'))!, (await lease('c3'))!];
    await submit(c[0]!._id, 'c1', [bbox(10, 10)]);
    await submit(c[1]!._id, 'c2', []);
    await submit(c[2]!._id, 'c3', [bbox(400, 300)]);
    const refusal = (await lease('lead', 'review'))!;
    expect(
      await queue.submit({
        tenantId: 't1',
        taskId: refusal._id,
        annotatorId: 'lead',
        result: { reject: true },
      }),
    ).toMatchObject({
      outcome: 'rejected',
    });
    await harness.settle(refused);
    expect(await harness.records.get(refused)).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'annotation_rejected' }],
    });
    expect(harness.received(Topics.imageCurated, refused)).toHaveLength(0);

    // Gold (goldRatio 0.5): the second lease of a new annotator is a gold task with a known answer.
    await cleared('boxes');
    const g1 = (await lease('newbie'))!;
    expect(g1.kind).toBe('annotate');
    const gold = (await lease('newbie'))!;
    expect(gold).toMatchObject({ kind: 'gold', annotatorId: 'newbie' });
    expect([agreed, disputed]).toContain(gold.imageId);
    const answer = JSON.parse(curated(gold.imageId).annotationJson) as { labels: unknown[] };
    expect(await submit(gold._id, 'newbie', answer.labels)).toMatchObject({
      outcome: 'scored',
      agreement: 1,
    });
    const g2 = (await lease('rookie'))!;
    await submit(g2._id, 'rookie', [bbox(10, 10)]);
    const gold2 = (await lease('rookie'))!;
    expect(gold2.kind).toBe('gold');
    expect(await submit(gold2._id, 'rookie', [bbox(500, 380, 'car', 100, 80)])).toMatchObject({
      outcome: 'scored',
      agreement: 0,
    });
    expect(await queue.scores('t1', 'boxes')).toEqual([
      { annotatorId: 'newbie', goldTasks: 1, meanScore: 1 },
      { annotatorId: 'rookie', goldTasks: 1, meanScore: 0 },
    ]);
    expect(await rest('GET', '/v1/projects/boxes/annotators')).toMatchObject({
      status: 200,
      body: {
        annotators: [{ annotatorId: 'newbie', goldTasks: 1, meanScore: 1 }, { annotatorId: 'rookie' }],
      },
    });
    // Gold results change no image.
    expect(harness.received(Topics.imageCurated, gold.imageId)).toHaveLength(1);

    // The dataset report of the project: counts, class balance, agreement, camera from the raw EXIF.
    const report = await rest('GET', '/v1/projects/boxes/report');
    expect(report).toMatchObject({
      status: 200,
      body: {
        projectId: 'boxes',
        counts: { curated: 2, rejected: 1 },
        classBalance: [
          { label: 'shelf', count: 0 },
          { label: 'car', count: 2 },
          { label: 'person', count: 0 },
        ],
        rejectionReasons: [{ label: 'annotation_rejected', count: 1 }],
        distributions: { cameraModel: [{ label: expect.stringMatching(/^Canon /) as unknown }] },
      },
    });
    const agreement = (report.body as { distributions: { agreement: Array<{ count: number }> } })
      .distributions.agreement;
    expect(agreement.reduce((sum, bin) => sum + bin.count, 0)).toBe(2);
    expect(await rest('GET', '/v1/projects/boxes/report', undefined, otherKey)).toMatchObject({
      status: 404,
    });
  });
  it("answers no caller without a credential, and another tenant's key neither leases nor reads t1's tasks", async () => {
    await cleared('labelled');
    const { task } = await leaseTask({
      tenantId: 't1',
      projectId: 'labelled',
      annotatorId: 'victim',
      leaseSeconds: 0,
      pool: '',
      taskType: '',
    });
    expect(task).toMatchObject({ annotatorId: 'victim' });
    await cleared('labelled'); // one more task waiting in t1's queue
    const attacker = { 'x-api-key': otherKey };
    const mine = { tenantId: 't1', taskId: task!.taskId, annotatorId: 'victim' };
    const { AnnotationServiceService: service } = annotationV1;
    // The attack of issue 19: t1's ids, with no credential, a forged service token, or t2's key.
    const verdicts = await probeTenantIsolation(service, harness.grpcAddress, {
      leaseTask: {
        request: annotationV1.LeaseTaskRequest.fromPartial({
          tenantId: 't1',
          projectId: 'labelled',
          annotatorId: 'x',
        }),
        headers: attacker,
        empty: ([answer]) => (answer as annotationV1.LeaseTaskResponse).task === undefined,
      },
      submitResult: {
        request: annotationV1.SubmitResultRequest.fromPartial({
          ...mine,
          resultJson: '{"labels":[{"class":"car"}]}',
        }),
        headers: attacker,
      },
      getTaskImage: { request: annotationV1.GetTaskImageRequest.fromPartial(mine), headers: attacker },
      getAnnotatorScores: {
        request: annotationV1.GetAnnotatorScoresRequest.fromPartial({ tenantId: 't1', projectId: 'boxes' }),
        headers: attacker,
        empty: ([answer]) => (answer as annotationV1.GetAnnotatorScoresResponse).scores.length === 0,
      },
      getCoverage: {
        request: annotationV1.GetCoverageRequest.fromPartial({ tenantId: 't1', projectId: 'covered' }),
        headers: attacker,
        empty: ([answer]) => !(answer as annotationV1.GetCoverageResponse).coverage?.images,
      },
    });
    expect(verdicts).toEqual(isolated(service));
    // The task is still the victim's, unsubmitted.
    expect(await getTaskImage(mine)).toMatchObject({ contentType: 'image/jpeg' });
  });

  it("answers GetCoverage with the dataset report's coverage figures and content targets, per project or batch", async () => {
    await harness.createProject('t1', 'covered', {
      dataset: { minBucketShare: { 'timeOfDay:night': 0.5 }, targets: { minBatchNovelty: 0.6 } },
    });
    const counters = new CoverageCounters(harness.ctx.pipeline.connection);
    const buckets = (timeOfDay: string) => ({
      timeOfDay,
      place: 'outdoor',
      backlight: 'front-lit',
      viewpoint: 'no people',
      distance: 'far',
      occlusion: 'no subject',
      content: 'vehicles',
    });
    const image = (n: number, batchId: string) => ({
      imageId: `img_cov_${Date.now().toString(36)}_${n}`,
      tenantId: 't1',
      projectId: 'covered',
      batchId,
    });
    await counters.count(image(1, 'bat_a'), { buckets: buckets('night'), cluster: '0a', novelty: 1 });
    await counters.count(image(2, 'bat_a'), { buckets: buckets('day'), cluster: '0a', novelty: 0.2 });
    await counters.count(image(3, 'bat_b'), { buckets: buckets('day'), cluster: '1f', novelty: 0.4 });
    const getCoverage = (request: Partial<annotationV1.GetCoverageRequest>) =>
      callGrpc(
        annotationV1.AnnotationServiceService,
        harness.grpcAddress,
        'getCoverage',
        annotationV1.GetCoverageRequest.fromPartial({ tenantId: 't1', ...request }),
        harness.serviceHeaders,
      );

    const project = await getCoverage({ projectId: 'covered' });
    const coverage = (project.messages[0] as annotationV1.GetCoverageResponse).coverage!;
    expect(coverage).toMatchObject({
      images: 3,
      sceneClusters: 2,
      largestSceneShare: 0.667,
      meanNovelty: 0.533,
      newSceneShare: 0.333,
      targets: [{ target: 'minBucketShare timeOfDay:night', required: 0.5, actual: 0.333, met: false }],
    });
    expect(coverage.axes.find((axis) => axis.axis === 'timeOfDay')?.buckets).toEqual([
      { bucket: 'day', count: 2, share: 0.667 },
      { bucket: 'night', count: 1, share: 0.333 },
    ]);
    expect(coverage.axes.map((axis) => axis.axis)).toHaveLength(7);
    // The same figures as the REST report's coverage.
    const report = await rest('GET', '/v1/projects/covered/report');
    expect((report.body as Record<string, unknown>)['coverage']).toMatchObject({
      images: 3,
      scenes: { clusters: 2, largestShare: 0.667 },
      meanNovelty: 0.533,
    });

    // A batch: its own images, and the novelty target applies.
    const batch = await getCoverage({ projectId: 'covered', batchId: 'bat_a' });
    expect((batch.messages[0] as annotationV1.GetCoverageResponse).coverage).toMatchObject({
      images: 2,
      meanNovelty: 0.6,
      targets: [
        { target: 'minBucketShare timeOfDay:night', actual: 0.5, met: true },
        { target: 'minBatchNovelty', required: 0.6, actual: 0.6, met: true },
      ],
    });
    expect((await getCoverage({ projectId: 'nope' })).code).toBe(status.NOT_FOUND);
    expect((await getCoverage({ projectId: '' })).code).toBe(status.INVALID_ARGUMENT);
  });

  it("leases and submits with an annotator's own token as that annotator, nothing else, until it is revoked", async () => {
    const imageId = await cleared('urgent');
    const { annotatorId, token } = await harness.createAnnotator('t1');
    const asAnnotator = { 'x-annotator-token': token };
    const grpcAs = (method: string, request: unknown) =>
      callGrpc(annotationV1.AnnotationServiceService, harness.grpcAddress, method, request, asAnnotator);
    // gRPC: the lease is the token's annotator, whatever annotator_id (or tenant_id) says.
    const leased = await grpcAs(
      'leaseTask',
      annotationV1.LeaseTaskRequest.fromPartial({
        tenantId: 't2',
        projectId: 'urgent',
        annotatorId: 'someone-else',
      }),
    );
    const task = (leased.messages[0] as annotationV1.LeaseTaskResponse).task!;
    expect(task).toMatchObject({ imageId, annotatorId });
    const image = await grpcAs(
      'getTaskImage',
      annotationV1.GetTaskImageRequest.fromPartial({ taskId: task.taskId, annotatorId: 'someone-else' }),
    );
    expect(image.code).toBe(0);
    // Scoped to tasks: the project's scores and curated dataset are the tenant's.
    const scores = await grpcAs(
      'getAnnotatorScores',
      annotationV1.GetAnnotatorScoresRequest.fromPartial({ projectId: 'urgent' }),
    );
    expect(scores.code).toBe(7); // PERMISSION_DENIED
    const restAs = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${harness.stage.httpPort}${path}`, {
        method,
        headers: { ...asAnnotator, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    expect((await restAs('GET', '/v1/projects/urgent/curated')).status).toBe(403);
    expect((await restAs('GET', `/v1/tasks/${task.taskId}/image`)).status).toBe(200);
    const submitted = await restAs('POST', `/v1/tasks/${task.taskId}/result`, {
      result: { labels: [{ class: 'car' }] },
    });
    expect(submitted.status).toBe(200);
    expect(await submitted.json()).toMatchObject({ outcome: 'accepted' });

    // Revoked: refused at once, over REST and gRPC.
    await harness.ctx.pipeline.connection
      .collection('annotators')
      .updateOne({ _id: annotatorId as never }, { $set: { revokedAt: new Date() } });
    expect((await restAs('POST', '/v1/tasks/lease', { projectId: 'urgent' })).status).toBe(401);
    expect((await grpcAs('leaseTask', annotationV1.LeaseTaskRequest.fromPartial({}))).code).toBe(16);
  });
});

/** An image record and the ImageCleared event compliance would have sent for it, its blobs stored. */
async function clearedEvent(
  harness: StageHarness,
  imageId: string,
  projectId: string,
  region = 'EU',
  tenantId = 't1',
): Promise<Uint8Array> {
  const raw = readFileSync(corpusPath('cameras/jpg/exif-org/canon-ixus.jpg'));
  const image = await harness.createImage(imageId, raw, { tenantId, projectId });
  const stored = await harness.ctx.blobs.put(`cleared/${imageId}.jpg`, raw, 'image/jpeg');
  return complianceV1.ImageCleared.encode({
    image: { ...image, declarations: { region, consentIds: [] } },
    quality: qualityV1.QualityResult.fromPartial({ format: 'jpeg', width: 640, height: 480, frames: 1 }),
    compliance: complianceV1.ComplianceResult.fromPartial({
      consentIds: [],
      removedMetadata: ['exif'],
      hadGps: true,
      cleared: blobRef(stored, 'image/jpeg'),
    }),
  }).finish();
}
