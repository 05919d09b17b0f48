import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ChaosReport, isClean, runChaos } from './chaos/chaos';

// Starts its own broker and database, uploads 300 images and kills everything once: minutes.
jest.setTimeout(1_800_000);

describe('crash anything, lose nothing', () => {
  it('SIGKILLs each service, then the broker, then the database mid-batch: every image ends once, nothing is doubled or orphaned', async () => {
    // Seeded and printed: CHAOS_SEED=<seed> replays the same schedule.
    const seed = Number(process.env['CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-chaos-'));
    const report: ChaosReport = await runChaos({
      images: Number(process.env['CHAOS_IMAGES'] ?? 300),
      tenants: 1,
      seed,
      workDir,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(
      `[chaos] report (CHAOS_SEED=${seed}, logs in ${workDir}):\n${JSON.stringify(report, null, 2)}\n`,
    );

    expect(
      report.events
        .filter((event) => event.what.startsWith('SIGKILL'))
        .map((event) => event.what)
        .sort(),
    ).toEqual([
      'SIGKILL annotation-router',
      'SIGKILL compliance',
      'SIGKILL ferretdb',
      'SIGKILL ingest',
      'SIGKILL kafka',
      'SIGKILL postgres',
      'SIGKILL quality',
      'SIGKILL standardize',
    ]);
    expect(report.accepted).toBeGreaterThanOrEqual(300);
    expect(report.curated).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
    expect({
      notTerminal: report.notTerminal,
      lost: report.lost,
      curatedMismatch: report.curatedMismatch,
      missingBlobs: report.missingBlobs,
      orphanBlobs: report.orphanBlobs,
      badBatchCounts: report.badBatchCounts,
      curatedTopicRecords: report.curatedTopicRecords,
      curatedTopicKeys: report.curatedTopicKeys,
      terminal: report.curated + report.rejected,
    }).toEqual({
      notTerminal: [],
      lost: [],
      curatedMismatch: [],
      missingBlobs: [],
      orphanBlobs: [],
      badBatchCounts: [],
      curatedTopicRecords: report.curated,
      curatedTopicKeys: report.curated,
      terminal: report.accepted,
    });
    expect(isClean(report)).toBe(true);
  });
});
