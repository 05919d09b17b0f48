import { join } from 'node:path';

import { ApiClient, ApiError, contentTypeOf, type RetryEvent } from './api-client';
import { FakeApi, jpegBytes } from './testing/fake-api';
import { closedPortUrl, tempTree } from './testing/helpers';

describe('ApiClient', () => {
  let api: FakeApi;
  let sleeps: number[];
  let retries: RetryEvent[];

  const client = (overrides: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) =>
    new ApiClient({
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 1, // no jitter: the nominal delays
      onRetry: (event) => retries.push(event),
      ...overrides,
    });

  beforeEach(async () => {
    api = new FakeApi();
    await api.start();
    sleeps = [];
    retries = [];
  });
  afterEach(() => api.stop());

  it('sends the key and the body, and returns the created batch', async () => {
    const batch = await client().createBatch({
      projectId: 'prj_1',
      idempotencyKey: 'key-1',
      declarations: { region: 'eu', consentIds: ['c1'] },
    });
    expect(batch).toMatchObject({ batchId: 'bat_1', projectId: 'prj_1', state: 'open' });
    expect(api.requests).toEqual([
      {
        method: 'POST',
        path: '/v1/batches',
        apiKey: 'test-key',
        json: {
          projectId: 'prj_1',
          idempotencyKey: 'key-1',
          declarations: { region: 'eu', consentIds: ['c1'] },
        },
      },
    ]);
  });

  it('retries a 503 and succeeds, with the same idempotency key, so one batch is created', async () => {
    api.faults.push({ method: 'POST', path: /^\/v1\/batches$/, answer: 503 });
    const batch = await client().createBatch({ projectId: 'prj_1', idempotencyKey: 'same' });
    expect(batch.batchId).toBe('bat_1');
    const creates = api.requestsTo('POST', /^\/v1\/batches$/);
    expect(creates).toHaveLength(2);
    expect(creates.map((r) => (r.json as { idempotencyKey: string } | undefined)?.idempotencyKey)).toEqual([
      undefined, // the faulted attempt was not parsed by the fake
      'same',
    ]);
    expect(sleeps).toEqual([500]);
    expect(retries).toMatchObject([{ method: 'POST', path: '/v1/batches', attempt: 1, delayMs: 500 }]);
    expect(retries[0]!.error).toMatchObject({ status: 503, code: 'unavailable' });
    expect(api.batches.size).toBe(1);
  });

  it('backs off exponentially and gives up after 4 retries', async () => {
    api.faults.push({ method: 'GET', path: /^\/v1\/batches\//, answer: 504, times: 10 });
    const error = await client()
      .getBatch('bat_9')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 504, attempts: 5 });
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
    expect(api.requests).toHaveLength(5);
  });

  it('applies jitter between half and all of the nominal delay', async () => {
    api.faults.push({ method: 'GET', path: /^\/v1\/batches\//, answer: 502, times: 2 });
    const batch = await client({ random: () => 0 }).createBatch({ projectId: 'p', idempotencyKey: 'k' });
    await client({ random: () => 0 }).getBatch(batch.batchId);
    expect(sleeps).toEqual([250, 500]);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    api.faults.push({
      method: 'GET',
      path: /^\/v1\/batches\//,
      answer: 429,
      headers: { 'retry-after': '3' },
    });
    const batch = await client().createBatch({ projectId: 'p', idempotencyKey: 'k' });
    await client().getBatch(batch.batchId);
    expect(sleeps).toEqual([3000]);
  });

  it('retries a dropped connection', async () => {
    api.faults.push({ method: 'POST', path: /^\/v1\/batches$/, answer: 'drop' });
    const batch = await client().createBatch({ projectId: 'p', idempotencyKey: 'k' });
    expect(batch.batchId).toBe('bat_1');
    expect(retries[0]!.error).toMatchObject({ status: undefined, code: 'unreachable' });
  });

  it('reports an unreachable API after 5 attempts', async () => {
    const error = await client({ baseUrl: await closedPortUrl() })
      .getBatch('bat_1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: undefined, code: 'unreachable', attempts: 5 });
    expect((error as ApiError).message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(sleeps).toHaveLength(4);
  });

  it('does not retry a 4xx and carries its code and message', async () => {
    const error = await client({ apiKey: 'wrong' })
      .getBatch('bat_1')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 401,
      code: 'unauthenticated',
      message: 'invalid API key',
      attempts: 1,
    });
    expect((error as ApiError).describe()).toBe('[401 unauthenticated] invalid API key');
    expect(api.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a 500, and names a body that is not the API error shape by its status', async () => {
    api.faults.push({ method: 'GET', path: /^\/v1\/batches\//, answer: 500, body: '<html>oops</html>' });
    const error = await client()
      .getBatch('bat_1')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 500, code: 'http_500', message: '"<html>oops</html>"' });
    expect(api.requests).toHaveLength(1);
  });

  it('uploads a file as multipart field "file", streamed from disk, again on each attempt', async () => {
    const tree = await tempTree({ 'cat.jpg': jpegBytes(100_000) });
    try {
      const http = client();
      const batch = await http.createBatch({ projectId: 'p', idempotencyKey: 'k' });
      api.faults.push({ method: 'POST', path: /\/images$/, answer: 503 });
      const images = await http.uploadImage(batch.batchId, { path: join(tree.root, 'cat.jpg') });
      expect(images).toMatchObject([{ batchId: batch.batchId, filename: 'cat.jpg', status: 'processing' }]);
      expect(api.batches.get(batch.batchId)!.images).toMatchObject([{ filename: 'cat.jpg', size: 100_000 }]);
      expect(api.requestsTo('POST', /\/images$/)).toHaveLength(2);
    } finally {
      await tree.remove();
    }
  });

  it('sends the file as a file-backed part and refuses redirects (which would make fetch buffer it)', async () => {
    const tree = await tempTree({ 'dog.png': jpegBytes(5000) });
    try {
      const calls: RequestInit[] = [];
      const spy: typeof fetch = (input, init) => {
        calls.push(init!);
        return fetch(input, init);
      };
      const http = client({ fetch: spy });
      const batch = await http.createBatch({ projectId: 'p', idempotencyKey: 'k' });
      await http.uploadImage(batch.batchId, { path: join(tree.root, 'dog.png'), filename: 'renamed.png' });
      const upload = calls[1]!;
      expect(upload.redirect).toBe('error');
      expect(upload.headers).toMatchObject({ 'x-api-key': 'test-key' });
      const part = (upload.body as FormData).get('file') as File;
      expect([part.name, part.size, part.type]).toEqual(['renamed.png', 5000, 'image/png']);
      expect(api.batches.get(batch.batchId)!.images).toMatchObject([{ filename: 'renamed.png', size: 5000 }]);
    } finally {
      await tree.remove();
    }
  });

  it('rejects a 415 upload without retrying', async () => {
    const tree = await tempTree({ 'notes.txt': 'hello' });
    try {
      const http = client();
      const batch = await http.createBatch({ projectId: 'p', idempotencyKey: 'k' });
      const error = await http
        .uploadImage(batch.batchId, { path: join(tree.root, 'notes.txt') })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 415, code: 'unsupported_media_type' });
      expect(api.requestsTo('POST', /\/images$/)).toHaveLength(1);
    } finally {
      await tree.remove();
    }
  });

  it('guesses a content type from the extension', () => {
    expect(contentTypeOf('a.JPG')).toBe('image/jpeg');
    expect(contentTypeOf('b.png')).toBe('image/png');
    expect(contentTypeOf('c.txt')).toBe('application/octet-stream');
  });
});
