import { join } from 'node:path';

import { batchCommand, ExitCode, resolveConnection, uploadCommand, type CliIo } from './commands';
import { FakeApi, jpegBytes } from './testing/fake-api';
import { Capture, closedPortUrl, FakeClock, tempTree } from './testing/helpers';

describe('commands', () => {
  let api: FakeApi;
  let tree: Awaited<ReturnType<typeof tempTree>>;
  let stdout: Capture;
  let stderr: Capture;
  let clock: FakeClock;

  const io = (env: Record<string, string | undefined> = {}): CliIo => ({
    stdout,
    stderr,
    env: { APERTURE_API_URL: api.baseUrl, APERTURE_API_KEY: api.apiKey, ...env },
    stderrIsTTY: false,
    clock,
    newIdempotencyKey: () => 'idem-1',
  });

  beforeEach(async () => {
    api = new FakeApi({
      outcome: (name) =>
        name === 'b.jpg'
          ? { status: 'rejected', code: 'no_consent' }
          : name === 'd.jpg'
            ? { status: 'pending_annotation' }
            : { status: 'curated' },
    });
    await api.start();
    tree = await tempTree({
      'a.jpg': jpegBytes(100),
      'b.jpg': jpegBytes(200),
      'sub/c.txt': 'text',
      'sub/d.jpg': jpegBytes(300),
      '.hidden.jpg': jpegBytes(10),
    });
    stdout = new Capture();
    stderr = new Capture();
    clock = new FakeClock();
  });
  afterEach(async () => {
    await api.stop();
    await tree.remove();
  });

  describe('upload', () => {
    it('prints exactly one JSON object on stdout with --json', async () => {
      const code = await uploadCommand([tree.root], { project: 'prj_1', json: true }, io());
      expect(code).toBe(ExitCode.ok);
      expect(stdout.text.endsWith('\n')).toBe(true);
      expect(stdout.text.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse(stdout.text)).toEqual({
        batchId: 'bat_1',
        projectId: 'prj_1',
        state: 'complete',
        completed: true,
        timedOut: false,
        files: 4,
        bytes: 604,
        uploaded: 3,
        processing: 0,
        pendingAnnotation: 1,
        curated: 1,
        rejected: 1,
        rejectedByReason: { no_consent: 1 },
        refusedAtUpload: 1,
        refusedAtUploadByCode: { unsupported_media_type: 1 },
        refusedFiles: [
          {
            path: join(tree.root, 'sub/c.txt'),
            status: 415,
            code: 'unsupported_media_type',
            message: 'c.txt is not a supported image',
          },
        ],
      });
      // progress went to stderr as plain lines (not a terminal)
      expect(stderr.text).toContain('uploading 4 files');
      expect(stderr.text).toContain('uploaded 4/4 files');
    });

    it('prints a readable summary without --json', async () => {
      const code = await uploadCommand([tree.root], { project: 'prj_1', consent: ['c1'] }, io());
      expect(code).toBe(ExitCode.ok);
      expect(stdout.text).toBe(
        [
          'batch              bat_1 (project prj_1)',
          'state              complete',
          'files              4 (604 B)',
          'uploaded           3',
          'curated            1',
          'rejected           1',
          '  no_consent  1',
          'pending annotation 1',
          'refused at upload  1',
          '  unsupported_media_type  1',
          `  ${join(tree.root, 'sub/c.txt')}: [415 unsupported_media_type] c.txt is not a supported image`,
          '',
        ].join('\n'),
      );
      expect(api.requestsTo('POST', /^\/v1\/batches$/)[0]!.json).toEqual({
        projectId: 'prj_1',
        idempotencyKey: 'idem-1',
        declarations: { consentIds: ['c1'] },
      });
    });

    it('exits 2 when the batch does not complete before --timeout', async () => {
      const slow = new FakeApi({ completeAfterPolls: 100 });
      await slow.start();
      try {
        const code = await uploadCommand(
          [join(tree.root, 'a.jpg')],
          { project: 'prj_1', timeout: 3, json: true },
          io({ APERTURE_API_URL: slow.baseUrl }),
        );
        expect(code).toBe(ExitCode.timedOut);
        expect(JSON.parse(stdout.text)).toMatchObject({ state: 'closed', completed: false, timedOut: true });
        expect(stderr.text).toContain(
          'did not complete within 3 s; check it later with: aperture batch bat_1',
        );
      } finally {
        await slow.stop();
      }
    });

    it('exits 0 without polling with --no-follow', async () => {
      const code = await uploadCommand([tree.root], { project: 'prj_1', follow: false, json: true }, io());
      expect(code).toBe(ExitCode.ok);
      expect(JSON.parse(stdout.text)).toMatchObject({ state: 'closed', completed: false, uploaded: 3 });
      expect(api.requestsTo('GET', /.*/)).toHaveLength(0);
    });

    it('exits 1 with a clear message when no key is set', async () => {
      const code = await uploadCommand(
        [tree.root],
        { project: 'prj_1' },
        io({ APERTURE_API_KEY: undefined }),
      );
      expect(code).toBe(ExitCode.fatal);
      expect(stderr.text).toBe('error: no API key: set APERTURE_API_KEY (or pass --key KEY)\n');
      expect(stdout.text).toBe('');
      expect(api.requests).toHaveLength(0);
    });

    it('exits 1 on a wrong key, showing the API code and message', async () => {
      const code = await uploadCommand([tree.root], { project: 'prj_1', key: 'wrong', json: true }, io());
      expect(code).toBe(ExitCode.fatal);
      expect(stderr.text).toContain(
        'error: [401 unauthenticated] invalid API key (check --key or APERTURE_API_KEY)',
      );
      expect(JSON.parse(stdout.text)).toEqual({
        error: { code: 'unauthenticated', message: 'invalid API key' },
      });
    });

    it('exits 1 when the API stays unreachable after the retries', async () => {
      const url = await closedPortUrl();
      const code = await uploadCommand([tree.root], { project: 'prj_1' }, io({ APERTURE_API_URL: url }));
      expect(code).toBe(ExitCode.fatal);
      expect(stderr.text.match(/retry \d in/g)).toEqual([
        'retry 1 in',
        'retry 2 in',
        'retry 3 in',
        'retry 4 in',
      ]);
      expect(stderr.text).toMatch(/error: \[unreachable\] cannot reach .* \(after 5 attempts\)/);
    });

    it('exits 1 on a path that does not exist, before creating a batch', async () => {
      const missing = join(tree.root, 'missing');
      const code = await uploadCommand([missing], { project: 'prj_1' }, io());
      expect(code).toBe(ExitCode.fatal);
      expect(stderr.text).toBe(`error: no such file or folder: ${missing}\n`);
      expect(api.requests).toHaveLength(0);
    });

    it('exits 1 when every file was refused', async () => {
      const code = await uploadCommand(
        [join(tree.root, 'sub/c.txt')],
        { project: 'prj_1', json: true },
        io(),
      );
      expect(code).toBe(ExitCode.fatal);
      expect(JSON.parse(stdout.text)).toMatchObject({ uploaded: 0, refusedAtUpload: 1 });
      expect(stderr.text).toContain('error: no file was accepted');
    });

    it('exits 1 on an unknown project, with the API error', async () => {
      const code = await uploadCommand([tree.root], { project: 'missing' }, io());
      expect(code).toBe(ExitCode.fatal);
      expect(stderr.text).toContain('error: [404 not_found] project missing not found');
    });
  });

  describe('batch', () => {
    it('shows state, counts and reasons', async () => {
      await uploadCommand([tree.root], { project: 'prj_1', json: true }, io());
      stdout.text = '';
      const code = await batchCommand('bat_1', {}, io());
      expect(code).toBe(ExitCode.ok);
      expect(stdout.text).toBe(
        [
          'batch              bat_1',
          'project            prj_1',
          'state              complete',
          'created            1970-01-01T00:00:00.000Z',
          'closed             1970-01-01T00:00:00.000Z',
          'uploaded           3',
          'processing         0',
          'pending annotation 1',
          'curated            1',
          'rejected           1',
          '  no_consent  1',
          '',
        ].join('\n'),
      );
    });

    it('prints the batch as JSON with --json', async () => {
      await uploadCommand([tree.root], { project: 'prj_1', follow: false }, io());
      stdout.text = '';
      expect(await batchCommand('bat_1', { json: true }, io())).toBe(ExitCode.ok);
      expect(JSON.parse(stdout.text)).toMatchObject({
        batchId: 'bat_1',
        state: 'closed',
        counts: { uploaded: 3 },
      });
    });

    it('exits 1 on an unknown batch', async () => {
      expect(await batchCommand('bat_404', {}, io())).toBe(ExitCode.fatal);
      expect(stderr.text).toBe('error: [404 not_found] no such batch\n');
    });
  });

  describe('resolveConnection', () => {
    it('takes options first, then the environment, then the default URL', () => {
      expect(resolveConnection({ api: 'http://a:1', key: 'k' }, { APERTURE_API_URL: 'http://b:2' })).toEqual({
        baseUrl: 'http://a:1',
        apiKey: 'k',
      });
      expect(resolveConnection({}, { APERTURE_API_URL: 'http://b:2', APERTURE_API_KEY: 'e' })).toEqual({
        baseUrl: 'http://b:2',
        apiKey: 'e',
      });
      expect(resolveConnection({}, { APERTURE_API_KEY: 'e', APERTURE_API_URL: ' ' })).toEqual({
        baseUrl: 'http://127.0.0.1:8080',
        apiKey: 'e',
      });
    });

    it('refuses a URL that is not http(s)', () => {
      expect(() => resolveConnection({ api: 'ftp://x', key: 'k' }, {})).toThrow(
        'must be http:// or https://',
      );
      expect(() => resolveConnection({ api: 'nonsense', key: 'k' }, {})).toThrow('not a URL: nonsense');
    });
  });
});
