// scripts/bench idle [--seconds S] [--settle S]: what the six services cost when there is no work.
// Starts them as processes (as scripts/start does) on the local Kafka and database, waits until each
// is ready and then --settle seconds more (start-up work: index sync, topic creation, JIT), and
// measures each process's CPU time (utime + stime from /proc) over --seconds of idleness, during
// which nothing calls them. Also the CPU the broker and the database (FerretDB, and PostgreSQL with
// all its backends) spent in the same window: what the services' polling costs them. Goal: each
// service under 1 % of a core.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { testInfraEnv, uniqueName } from '@aperture/testing';
import {
  ALL_SERVICES as SERVICES,
  processCpuSeconds,
  processGroupCpuSeconds,
  startPipeline,
  stopService,
} from '../processes';

const INFRA = ['kafka', 'ferretdb', 'postgres'] as const;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

/** The process groups of the local servers, from scripts/infra's pid files (absent: not measured). */
function infraGroups(): Partial<Record<(typeof INFRA)[number], number>> {
  const home = process.env['APERTURE_HOME'] || path.resolve(__dirname, '../../../../../.aperture');
  const groups: Partial<Record<(typeof INFRA)[number], number>> = {};
  for (const server of INFRA) {
    try {
      groups[server] = Number(fs.readFileSync(path.join(home, 'run', `${server}.pid`), 'utf8').trim());
    } catch {
      // not started by scripts/infra
    }
  }
  return groups;
}

async function main(): Promise<void> {
  const seconds = option('seconds', 60);
  const settle = option('settle', 20);
  const { kafkaBrokers, mongoUri } = testInfraEnv();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-bench-idle-'));
  const { running } = await startPipeline({
    services: SERVICES,
    run: uniqueName('bench_idle').replace(/-/g, '_'),
    workDir,
    adminToken: 'bench-admin-token',
    kafkaBrokers,
    mongoUri,
    env: (ports) => ({
      CAMPAIGNS_GRPC_ADDRESS: `127.0.0.1:${ports.campaigns!.grpc}`,
      QUALITY_GRPC_ADDRESS: `127.0.0.1:${ports.quality.grpc}`,
      LOG_LEVEL: 'warn',
    }),
  });
  try {
    console.log(`six services ready; settling ${settle} s, then measuring ${seconds} s of idleness`);
    await new Promise((resolve) => setTimeout(resolve, settle * 1000));

    const groups = infraGroups();
    const before = running.map((service) => processCpuSeconds(service.child.pid!));
    const infraBefore = Object.entries(groups).map(([, pgid]) => processGroupCpuSeconds(pgid));
    const started = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    const after = running.map((service) => processCpuSeconds(service.child.pid!));
    const infraAfter = Object.entries(groups).map(([, pgid]) => processGroupCpuSeconds(pgid));

    const load = os.loadavg().map((value) => value.toFixed(2));
    console.log(
      `idle CPU over ${elapsed.toFixed(1)} s (${os.cpus().length} cores, load average ${load.join(' ')}):`,
    );
    const rows = running.map((service, i) => ({ name: service.name, cpu: after[i]! - before[i]! }));
    const infraRows = Object.keys(groups).map((name, i) => ({ name, cpu: infraAfter[i]! - infraBefore[i]! }));
    for (const { name, cpu } of [...rows, ...infraRows]) {
      const percent = (cpu / elapsed) * 100;
      const mark = SERVICES.includes(name as (typeof SERVICES)[number])
        ? percent < 1
          ? '  ok'
          : '  over 1 %'
        : '';
      console.log(
        `  ${name.padEnd(18)} ${(cpu * 1000).toFixed(0).padStart(6)} ms CPU  ${percent.toFixed(2).padStart(6)} % of a core${mark}`,
      );
    }
    const servicesOver = rows.filter(({ cpu }) => (cpu / elapsed) * 100 >= 1).map(({ name }) => name);
    console.log(
      servicesOver.length === 0
        ? 'every service under 1 % of a core'
        : `over 1 %: ${servicesOver.join(', ')}`,
    );
    console.log(JSON.stringify({ seconds: elapsed, load: os.loadavg(), services: rows, infra: infraRows }));
  } finally {
    await Promise.all(running.map((service) => stopService(service).catch(() => null)));
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
