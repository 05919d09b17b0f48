import { rawHttp, testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, repoRoot, tail } from './processes';

// scripts/start runs each service under scripts/lib/supervise, which restarts it when it dies, as
// Kubernetes does in production (issue 19, deliverable 2). Here the built ingest runs under it as
// a process on the real broker and database: SIGKILLed, it is back and ready on its own; the
// multipart request that used to end the process (finding 1) now gets its 400 and the same
// process answers on; SIGTERM to the supervisor stops the service cleanly and ends the supervision.

jest.setTimeout(180_000);

const ADMIN_TOKEN = 'supervise-admin-token-0019';

describe('scripts/lib/supervise: a crashed service is started again', () => {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-supervise-'));
  const logFile = path.join(workDir, 'supervise.log');
  let supervisor: ChildProcess;
  let httpPort: number;
  const url = (route: string) => `http://127.0.0.1:${httpPort}${route}`;

  /** The service pids the supervisor reported starting, in order. */
  const startedPids = () =>
    [...fs.readFileSync(logFile, 'utf8').matchAll(/\[supervise ingest\].* started \(pid (\d+)\)/g)].map(
      (match) => Number(match[1]),
    );
  const ready = async () => {
    try {
      return (await fetch(url('/readyz'))).status === 200;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    const infra = testInfraEnv();
    const database = new URL(infra.mongoUri);
    database.pathname = `/${uniqueName('supervise').replace(/-/g, '_')}`;
    httpPort = await freePort();
    const log = fs.openSync(logFile, 'a');
    supervisor = spawn(
      path.join(repoRoot, 'scripts/lib/supervise'),
      [
        'ingest',
        process.execPath,
        '--disable-warning=TimeoutNegativeWarning',
        '-r',
        path.join(repoRoot, 'scripts/lib/register-aliases.cjs'),
        path.join(repoRoot, 'dist/services/ingest/src/main.js'),
      ],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          KAFKA_BROKERS: infra.kafkaBrokers.join(','),
          MONGODB_URI: database.toString(),
          BLOB_STORE_DIR: path.join(workDir, 'blobs'),
          HTTP_PORT: String(httpPort),
          GRPC_PORT: String(await freePort()),
          ADMIN_TOKEN,
          SUPERVISE_MIN_DELAY: '1',
        },
        stdio: ['ignore', log, log],
      },
    );
    fs.closeSync(log);
    await waitFor('ingest under supervise to be ready', ready, 90_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${tail(logFile)}`);
    });
  });

  afterAll(async () => {
    if (supervisor?.exitCode === null) supervisor.kill('SIGKILL');
    for (const pid of startedPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('starts ingest again after it is killed, and it answers again', async () => {
    const [first] = startedPids();
    process.kill(first!, 'SIGKILL');
    await waitFor(
      'ingest to be started again and ready',
      async () => startedPids().length === 2 && (await ready()),
      90_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${tail(logFile)}`);
    });
    expect(fs.readFileSync(logFile, 'utf8')).toContain(
      '[supervise ingest]\u001b[0m exited with status 137 after',
    );
  });

  it('answers the multipart request that used to end the process with 400, in the same process', async () => {
    const tenant = await fetch(url('/v1/tenants'), {
      method: 'POST',
      headers: { 'x-admin-token': ADMIN_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'supervised' }),
    }).then((response) => response.json() as Promise<{ apiKey: string }>);
    const asTenant = { 'x-api-key': tenant.apiKey, 'content-type': 'application/json' };
    const project = await fetch(url('/v1/projects'), {
      method: 'POST',
      headers: asTenant,
      body: JSON.stringify({ name: 'p' }),
    }).then((response) => response.json() as Promise<{ projectId: string }>);
    const batch = await fetch(url('/v1/batches'), {
      method: 'POST',
      headers: asTenant,
      body: JSON.stringify({ projectId: project.projectId }),
    }).then((response) => response.json() as Promise<{ batchId: string }>);
    const body = Buffer.concat([
      Buffer.from(
        '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n',
      ),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('garbage'),
    ]);
    const answer = await rawHttp(
      httpPort,
      [
        `POST /v1/batches/${batch.batchId}/images HTTP/1.1`,
        'Host: 127.0.0.1',
        `x-api-key: ${tenant.apiKey}`,
        'Content-Type: multipart/form-data; boundary=XYZ',
        `Content-Length: ${body.length}`,
      ].join('\r\n'),
      { body },
    );
    expect(answer?.status).toBe(400);
    expect(JSON.parse(answer?.body ?? '{}').error.code).toBe('malformed_multipart');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await ready()).toBe(true);
    expect(startedPids()).toHaveLength(2);
  });

  it('stops the service and itself on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => supervisor.once('exit', resolve));
    supervisor.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.readFileSync(logFile, 'utf8')).toMatch(/\[supervise ingest\].* stopped \(status 0\)/);
    expect(await ready()).toBe(false);
  });
});
