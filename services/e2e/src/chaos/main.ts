import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isClean, runChaos } from './chaos';

/**
 * scripts/chaos: the chaos run at a larger size. Prints the schedule as it happens, then the
 * report as JSON; exits 1 when anything was lost, doubled or orphaned.
 *   --images N   images per tenant (default 1000)   --tenants N (default 3)
 *   --seed S     replay a schedule (default: random, printed)
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number): number => {
    const index = args.indexOf(`--${name}`);
    if (index === -1) return fallback;
    const value = Number(args[index + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a non-negative integer`);
    return value;
  };
  const seed = option('seed', Math.floor(Math.random() * 2 ** 31));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-chaos-'));
  const report = await runChaos({
    images: option('images', 1000),
    tenants: option('tenants', 3),
    seed,
    workDir,
    uploadConcurrency: 2,
  });
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `[chaos] ${isClean(report) ? 'clean' : 'NOT CLEAN'}; replay with --seed ${seed}; logs in ${workDir}`,
  );
  process.exitCode = isClean(report) ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
