import { join } from 'node:path';

import { ApiClient, ApiError, type Batch, type IngestApi } from './api-client';
import { collectFiles, type LocalFile } from './files';
import { summarize } from './format';
import { LineProgress } from './progress';
import { FakeApi, jpegBytes, type FakeApiOptions } from './testing/fake-api';
import { Capture, FakeClock, tempTree } from './testing/helpers';
import { isFileRefusal, UploadAborted, uploadBatch, type UploadOptions } from './upload';

describe('uploadBatch against a local API', () => {
  let api: FakeApi;
  let tree: Awaited<ReturnType<typeof tempTree>>;
  let clock: FakeClock;
  let log: Capture;

  const setUp = async (options: FakeApiOptions = {}) => {
    api = new FakeApi(options);
    await api.start();
  };

  beforeEach(async () => {
    tree = await tempTree({
      'a.jpg': jpegBytes(1000),
      'b.jpg': jpegBytes(2000),
      'c.txt': 'not an image',
      'd.jpg': jpegBytes(4000),
    });
    clock = new FakeClock();
    log = new Capture();
  });
  afterEach(async () => {
    await api.stop();
    await tree.remove();
  });

  const run = async (options: Partial<UploadOptions> = {}, client?: IngestApi) =>
    uploadBatch(
      { projectId: 'prj_1', files: await collectFiles([tree.root]), concurrency: 2, ...options },
      {
        client:
          client ??
          new ApiClient({
            baseUrl: api.baseUrl,
            apiKey: api.apiKey,
            sleep: (ms) => clock.sleep(ms),
            random: () => 1,
          }),
        clock,
        progress: new LineProgress(log, clock),
        newIdempotencyKey: () => 'idem-1',
      },
    );

  it('uploads every file, reports the refused one, retries a 503, closes, and follows to completion', async () => {
    await setUp({
      outcome: (name) => (name === 'b.jpg' ? { status: 'rejected', code: 'blurry' } : { status: 'curated' }),
    });
    api.faults.push({ method: 'POST', path: /\/images$/, answer: 503 });

    const result = await run({ region: 'eu', consentIds: ['c1', 'c2'] });

    expect(api.requestsTo('POST', /^\/v1\/batches$/)).toMatchObject([
      {
        json: {
          projectId: 'prj_1',
          idempotencyKey: 'idem-1',
          declarations: { region: 'eu', consentIds: ['c1', 'c2'] },
        },
      },
    ]);
    // 4 files, one of them retried after the 503
    expect(api.requestsTo('POST', /\/images$/)).toHaveLength(5);
    expect(
      api.batches
        .get('bat_1')!
        .images.map((i) => i.filename)
        .sort(),
    ).toEqual(['a.jpg', 'b.jpg', 'd.jpg']);
    expect(api.requestsTo('POST', /\/close$/)).toHaveLength(1);
    // completes on the second poll, one second apart
    expect(api.requestsTo('GET', /^\/v1\/batches\/bat_1$/)).toHaveLength(2);
    expect(clock.sleeps.filter((ms) => ms === 1000)).toHaveLength(2);

    expect(result).toMatchObject({
      batchId: 'bat_1',
      files: 4,
      bytes: 7012,
      accepted: 3,
      followed: true,
      completed: true,
      timedOut: false,
      refused: [
        {
          path: join(tree.root, 'c.txt'),
          status: 415,
          code: 'unsupported_media_type',
          message: 'c.txt is not a supported image',
        },
      ],
    });
    expect(result.batch.state).toBe('complete');
    expect(summarize(result)).toMatchObject({
      uploaded: 3,
      curated: 2,
      rejected: 1,
      rejectedByReason: { blurry: 1 },
      refusedAtUpload: 1,
      refusedAtUploadByCode: { unsupported_media_type: 1 },
    });
    expect(log.text).toContain('batch bat_1 created in project prj_1');
    expect(log.text).toContain(`refused ${join(tree.root, 'c.txt')}: [415 unsupported_media_type]`);
    expect(log.text).toContain('uploaded 4/4 files');
    expect(log.text).toContain(
      'batch bat_1 complete: 2 curated, 1 rejected, 0 pending annotation, 0 processing',
    );
  });

  it('reports a 413 for a file too large and goes on', async () => {
    await setUp({ maxBytes: 3000 });
    const result = await run();
    // the order of refusals depends on which of the 2 workers finishes first: compare sorted
    expect(result.refused.map((r) => [r.code, r.status]).sort()).toEqual([
      ['too_large', 413],
      ['unsupported_media_type', 415],
    ]);
    expect(result.accepted).toBe(2);
    expect(result.completed).toBe(true);
  });

  it('stops following at the timeout', async () => {
    await setUp({ completeAfterPolls: 1_000 });
    const result = await run({ timeoutMs: 5_000 });
    expect(result).toMatchObject({ followed: true, completed: false, timedOut: true });
    expect(result.batch.state).toBe('closed');
    expect(api.requestsTo('GET', /^\/v1\/batches\/bat_1$/)).toHaveLength(5);
    expect(clock.now()).toBe(5_000); // only the polls, one second apart, advanced the clock
  });

  it('does not poll with follow: false', async () => {
    await setUp();
    const result = await run({ follow: false });
    expect(result).toMatchObject({ followed: false, completed: false, timedOut: false });
    expect(result.batch.state).toBe('closed');
    expect(api.requestsTo('GET', /.*/)).toHaveLength(0);
  });

  it('stops at an authentication failure during upload and leaves the batch open', async () => {
    await setUp();
    api.faults.push({
      method: 'POST',
      path: /\/images$/,
      answer: 401,
      body: { error: { code: 'unauthenticated', message: 'key revoked' } },
    });
    const error = await run({ concurrency: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadAborted);
    expect(error).toMatchObject({ batchId: 'bat_1', message: '[401 unauthenticated] key revoked' });
    expect(api.requestsTo('POST', /\/images$/)).toHaveLength(1);
    expect(api.requestsTo('POST', /\/close$/)).toHaveLength(0);
  });

  it('does not follow a batch in which no file was accepted', async () => {
    await setUp({ maxBytes: 10 });
    const result = await run();
    expect(result).toMatchObject({ accepted: 0, followed: false, completed: false });
    expect(result.refused).toHaveLength(4);
    expect(api.requestsTo('POST', /\/close$/)).toHaveLength(1);
    expect(api.requestsTo('GET', /.*/)).toHaveLength(0);
  });

  it('reads the batch back when a retried close answers batch_closed', async () => {
    await setUp();
    const closed: Batch = {
      batchId: 'bat_x',
      projectId: 'prj_1',
      state: 'complete',
      counts: {
        uploaded: 1,
        processing: 0,
        pendingAnnotation: 0,
        curated: 1,
        rejected: 0,
        rejectedByReason: {},
      },
    };
    const stub: IngestApi = {
      createBatch: async () => ({ ...closed, state: 'open' }),
      uploadImage: async () => [],
      closeBatch: async () => {
        throw new ApiError(409, 'batch_closed', 'already closed', 2);
      },
      getBatch: async () => closed,
    };
    const files: LocalFile[] = [{ path: '/x.jpg', filename: 'x.jpg', size: 1 }];
    const result = await uploadBatch({ projectId: 'prj_1', files }, { client: stub, clock });
    expect(result).toMatchObject({ batchId: 'bat_x', completed: true, followed: false });
  });
});

describe('isFileRefusal', () => {
  it.each([
    [400, 'invalid_request', true],
    [413, 'too_large', true],
    [415, 'unsupported_media_type', true],
    [409, 'conflict', true],
    [409, 'batch_closed', false],
    [401, 'unauthenticated', false],
    [403, 'forbidden', false],
    [404, 'not_found', false],
    [429, 'rate_limited', false],
    [500, 'internal', false],
  ])('%i %s → %s', (status, code, expected) => {
    expect(isFileRefusal(new ApiError(status, code, 'm'))).toBe(expected);
  });
});
