import * as fc from 'fast-check';

/**
 * The seed every fuzz property uses unless APERTURE_FUZZ_SEED says otherwise: a fixed one, so the
 * normal test suite is reproducible; `scripts/fuzz --seed S` (or a random one there) explores more.
 */
export const DEFAULT_FUZZ_SEED = 20_261_124;

export interface FuzzSettings {
  seed: number;
  numRuns: number;
}

/** The seed and the number of runs: APERTURE_FUZZ_SEED / APERTURE_FUZZ_RUNS, else the defaults. */
export function fuzzSettings(defaultRuns: number, env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  const integer = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed))
      throw new Error(`${name} must be an integer, not ${JSON.stringify(value)}`);
    return parsed;
  };
  return {
    seed: integer('APERTURE_FUZZ_SEED', DEFAULT_FUZZ_SEED),
    numRuns: integer('APERTURE_FUZZ_RUNS', defaultRuns),
  };
}

/**
 * Runs an async property with fuzzSettings(defaultRuns) and a time limit per run (a run that
 * takes longer fails: a hang is a finding), prints one line (`fuzz <name>: seed S, N runs, ok`)
 * to stderr, and throws fast-check's report (seed, path and counterexample) if it failed.
 */
export async function checkProperty<Ts>(
  name: string,
  property: fc.IAsyncProperty<Ts>,
  options: { defaultRuns: number; timeoutMs: number },
): Promise<void> {
  const settings = fuzzSettings(options.defaultRuns);
  const started = Date.now();
  const details = await fc.check(property, { ...settings, plugins: [fc.timeout(options.timeoutMs)] });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(
    `fuzz ${name}: seed ${settings.seed}, ${details.numRuns} runs in ${seconds} s, ${details.failed ? 'FAILED' : 'ok'}\n`,
  );
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? `fuzz ${name} failed`);
}
