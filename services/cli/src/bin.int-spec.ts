import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The README's `npx aperture ...` after a second `scripts/start`: the second build of the CLI is
// restored from Nx's cache, and npx runs package.json's bin (dist/services/cli/src/main.js) through
// the link it made the first time. That file must come back executable, or the shell answers
// "aperture: Permission denied" (issue 20).
jest.setTimeout(600_000);

const repoRoot = path.resolve(__dirname, '../../..');
const cliOutput = path.join(repoRoot, 'dist/services/cli');
const main = path.join(cliOutput, 'src/main.js');
// A cache of the test's own, so the restored file is the one this build made (the machine's cache
// may hold an entry whose file an earlier npx already made executable), and the CLI alone is built
// (the libs it needs were built before the integration tests).
const cacheDirectory = mkdtempSync(path.join(tmpdir(), 'aperture-nx-cache-'));

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, NX_TUI: 'false', NX_DAEMON: 'false', NX_CACHE_DIRECTORY: cacheDirectory },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

const buildCli = () =>
  run(path.join(repoRoot, 'node_modules/.bin/nx'), [
    'run',
    'cli:build',
    '--exclude-task-dependencies',
    '--output-style=static',
  ]);

afterAll(() => rmSync(cacheDirectory, { recursive: true, force: true }));

describe('npx aperture after a build restored from the Nx cache', () => {
  it('runs the CLI, its bin still executable', () => {
    // A first build from scratch and a first npx run, as after a first scripts/start: npx links
    // the bin (and makes the file it links executable).
    rmSync(cliOutput, { recursive: true, force: true });
    expect(buildCli()).toMatchObject({ status: 0 });
    expect(run('npx', ['aperture', '--help'])).toMatchObject({ status: 0 });

    // The second build finds its outputs gone and restores them from the cache.
    rmSync(cliOutput, { recursive: true, force: true });
    const rebuild = buildCli();
    expect(rebuild.status).toBe(0);
    expect(rebuild.output).toMatch(/nx run cli:build\s+\[local cache\]/);

    const help = run('npx', ['aperture', '--help']);
    expect(help.output).not.toMatch(/Permission denied/);
    expect(help).toMatchObject({ status: 0 });
    expect(help.stdout).toMatch(/^Usage: aperture /);
    expect(statSync(main).mode & 0o111).toBe(0o111);
  });
});
