import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);
// libs/testing/src, or dist/libs/testing/src when a compiled runner uses it (scripts/chaos).
const repoRoot = findRepoRoot();
const infraScript = path.join(repoRoot, 'scripts/infra');

export type PrivateServer = 'kafka' | 'postgres' | 'ferretdb';

/**
 * A Kafka broker and a database (a PostgreSQL cluster and FerretDB on it) of a test's own, on free
 * ports, started by the project's `scripts/infra` from the installs the shared servers use
 * (nothing is downloaded again). A test may stop and start them at will (to prove readiness and
 * recovery) without disturbing the servers every other test shares.
 */
export interface PrivateInfra {
  kafkaBrokers: string[];
  mongoUri: string;
  /** Stops a server cleanly (`scripts/infra down`). */
  stop(server: PrivateServer): Promise<void>;
  /** Kills a server with SIGKILL, as a crashed machine would leave it (no clean shutdown). */
  kill(server: PrivateServer): Promise<void>;
  /** Starts it again on the same port and data, and waits until it answers. */
  start(server: PrivateServer): Promise<void>;
  /** Stops them all and deletes their data. */
  destroy(): Promise<void>;
}

export async function startPrivateInfra(): Promise<PrivateInfra> {
  const sharedHome = process.env['APERTURE_HOME'] || path.join(repoRoot, '.aperture');
  // Idempotent and quick when the shared servers were installed (they are, in the test suite).
  await infra(process.env, 'install', 'kafka', 'postgres', 'ferretdb');

  const home = await mkdtemp(path.join(tmpdir(), 'aperture-private-infra-'));
  // mkdtemp makes it 0700; run as root, scripts/infra starts PostgreSQL as an unprivileged user,
  // which must reach its data directory inside.
  await chmod(home, 0o755);
  await mkdir(path.join(home, 'kafka'), { recursive: true });
  await mkdir(path.join(home, 'ferretdb'), { recursive: true });
  await symlink(path.join(sharedHome, 'kafka/libs'), path.join(home, 'kafka/libs'));
  await symlink(path.join(sharedHome, 'ferretdb/bin'), path.join(home, 'ferretdb/bin'));

  const [kafkaPort, controllerPort, pgPort, mongoPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APERTURE_HOME: home,
    APERTURE_KAFKA_PORT: String(kafkaPort),
    APERTURE_KAFKA_CONTROLLER_PORT: String(controllerPort),
    APERTURE_PG_PORT: String(pgPort),
    APERTURE_MONGO_PORT: String(mongoPort),
    // A second broker beside the shared one: a small heap is plenty for a handful of messages.
    KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
  };
  const servers: PrivateServer[] = ['kafka', 'postgres', 'ferretdb'];
  try {
    await infra(env, 'up', ...servers);
  } catch (error) {
    await infra(env, 'down', ...servers).catch(() => undefined);
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  return {
    kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
    mongoUri: `mongodb://127.0.0.1:${mongoPort}/aperture`,
    stop: (server) => infra(env, 'down', server),
    kill: async (server) => {
      const pidFile = path.join(home, 'run', `${server}.pid`);
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      // scripts/infra starts each server in a session of its own: kill the whole group.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
      // Wait until it is gone, so a restart finds its port free.
      while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
      await rm(pidFile, { force: true });
    },
    start: (server) => infra(env, 'up', server),
    destroy: async () => {
      await infra(env, 'down', ...servers);
      await rm(home, { recursive: true, force: true });
    },
  };
}

async function infra(env: NodeJS.ProcessEnv, ...args: string[]): Promise<void> {
  try {
    await run(infraScript, args, { env, cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/infra ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: error });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function findRepoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
  }
  return path.resolve(__dirname, '../../..');
}
