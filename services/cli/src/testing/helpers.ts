// Small helpers shared by the unit tests (excluded from the build, like fake-api.ts).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { Clock } from '../upload';

/** A clock whose sleep returns at once and moves time forward; it records every sleep. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    await Promise.resolve();
  }
}

/** A stream stand-in that keeps what is written. */
export class Capture {
  text = '';

  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A temporary folder filled with the given files (path → content); remove() deletes it. */
export async function tempTree(files: Record<string, string | Buffer>) {
  const root = await mkdtemp(join(tmpdir(), 'aperture-cli-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/** A URL on which nothing listens (a port that was just free). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
