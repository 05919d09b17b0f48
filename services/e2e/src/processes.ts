import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository: above services/e2e/src, or above dist/services/e2e/src when run compiled (scripts/chaos). */
export const repoRoot = findRepoRoot();

function findRepoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'nx.json'))) return dir;
  }
  return path.resolve(__dirname, '../../..');
}

export { freePort } from '@aperture/testing';

export interface ServiceProcess {
  name: string;
  httpPort: number;
  child: ChildProcess;
  logFile: string;
}

/** Starts a built service as its own process, as `scripts/start` does, logging to a file. */
export function startService(
  name: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
  httpPort: number,
): ServiceProcess {
  const logFile = path.join(logDir, `${name}.log`);
  const log = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=TimeoutNegativeWarning',
      '-r',
      path.join(repoRoot, 'scripts/lib/register-aliases.cjs'),
      path.join(repoRoot, 'dist/services', name, 'src/main.js'),
    ],
    { cwd: repoRoot, env, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  return { name, httpPort, child, logFile };
}

/** Waits until GET /readyz answers 200, or fails with the tail of the service's log. */
export async function waitReady(service: ServiceProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) break;
    try {
      const response = await fetch(`http://127.0.0.1:${service.httpPort}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${service.name} did not become ready:\n${tail(service.logFile)}`);
}

/** Stops a service with SIGTERM and resolves with its exit code (SIGKILL after 20 s). */
export async function stopService(service: ServiceProcess): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

export function tail(file: string, lines = 40): string {
  return fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
    : '(no log)';
}
