import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

import { freePort } from '@aperture/testing';

export { freePort };

export interface ServiceProcess {
  name: string;
  httpPort: number;
  child: ChildProcess;
  logFile: string;
}

/**
 * The service identity (APERTURE_SERVICE_TOKEN) every process started here shares: the test run's
 * (global setup), else one of this process's own (a bench or chaos run outside Jest).
 */
export const SERVICE_TOKEN = process.env['APERTURE_SERVICE_TOKEN'] ?? randomBytes(32).toString('hex');

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
    { cwd: repoRoot, env: { APERTURE_SERVICE_TOKEN: SERVICE_TOKEN, ...env }, stdio: ['ignore', log, log] },
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

/** The five pipeline services, in start order. */
export const PIPELINE_SERVICES = [
  'ingest',
  'quality',
  'standardize',
  'compliance',
  'annotation-router',
] as const;
export type PipelineService = (typeof PIPELINE_SERVICES)[number];
/** Every service `scripts/start` runs: the pipeline and campaigns. */
export const ALL_SERVICES = [...PIPELINE_SERVICES, 'campaigns'] as const;

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** The fields of /proc/PID/stat after the command name (index 0 is field 3, the state). */
function procStat(pid: number | string): string[] {
  return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/** CPU seconds (user + system; fields 14 and 15 of /proc/PID/stat) a live process used so far. */
export function processCpuSeconds(pid: number): number {
  const fields = procStat(pid);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of every live process of a process group (scripts/infra starts each server in a
 * session of its own, so PostgreSQL's backends are in its postmaster's group). Processes that
 * exited are not counted.
 */
export function processGroupCpuSeconds(pgid: number): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = procStat(entry);
      // pgrp is field 5 of /proc/PID/stat
      if (Number(fields[2]) === pgid) total += (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {
      // it exited while /proc was read
    }
  }
  return total;
}
export type ServiceName = (typeof ALL_SERVICES)[number];
export type PipelinePorts = Record<PipelineService, { http: number; grpc: number }> &
  Partial<Record<ServiceName, { http: number; grpc: number }>>;

export interface PipelineOptions {
  /** Names this run's database and consumer groups. */
  run: string;
  workDir: string;
  adminToken: string;
  kafkaBrokers: string[];
  mongoUri: string;
  /** More environment, given every service's ports (e.g. where ingest finds its neighbours). */
  env?: (ports: PipelinePorts) => NodeJS.ProcessEnv;
  /** The services to start (default the five of the pipeline; ALL_SERVICES adds campaigns). */
  services?: readonly ServiceName[];
}

/**
 * Starts the five services (or `options.services`) as processes on free ports, with a database, a blob directory and
 * consumer groups of the run's own (so other runs' services never take its messages), and waits
 * until each is ready.
 */
export async function startPipeline(
  options: PipelineOptions,
): Promise<{ running: ServiceProcess[]; api: string; ports: PipelinePorts }> {
  const database = new URL(options.mongoUri);
  database.pathname = `/${options.run}`;
  const names = options.services ?? PIPELINE_SERVICES;
  const ports = {} as PipelinePorts;
  for (const name of names) ports[name] = { http: await freePort(), grpc: await freePort() };
  const running = names.map((name) =>
    startService(
      name,
      {
        ...process.env,
        KAFKA_BROKERS: options.kafkaBrokers.join(','),
        MONGODB_URI: database.toString(),
        BLOB_STORE_DIR: path.join(options.workDir, 'blobs'),
        HTTP_PORT: String(ports[name]!.http),
        GRPC_PORT: String(ports[name]!.grpc),
        ADMIN_TOKEN: options.adminToken,
        KAFKA_GROUP_ID: `${name}-${options.run}`,
        LOG_LEVEL: 'info',
        ...options.env?.(ports),
      },
      options.workDir,
      ports[name]!.http,
    ),
  );
  try {
    await Promise.all(running.map((service) => waitReady(service)));
  } catch (error) {
    await Promise.all(running.map((service) => stopService(service)));
    throw error;
  }
  return { running, api: `http://127.0.0.1:${ports.ingest.http}`, ports };
}

/**
 * A JSON caller of ingest's REST API at `base()`: with a tenant's key, or else the admin token.
 * A non-2xx answer throws with its status and body.
 */
export function restCaller(base: () => string, adminToken: string) {
  return async function call<T>(method: string, url: string, body?: unknown, key?: string): Promise<T> {
    const response = await fetch(`${base()}${url}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(key ? { 'x-api-key': key } : { 'x-admin-token': adminToken }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}
