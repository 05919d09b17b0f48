import { spawnSync } from 'node:child_process';
import { treeCpuSeconds } from './proc-cpu';

describe('treeCpuSeconds', () => {
  it("counts a child's CPU once it has exited", () => {
    const before = treeCpuSeconds(process.pid)!;
    // A child process that spins until it has used 0.3 s of CPU (however long that takes on a
    // busy machine), reaped by spawnSync.
    const spin = 'while (process.cpuUsage().user + process.cpuUsage().system < 300000);';
    const child = spawnSync(process.execPath, ['-e', spin]);
    expect(child.status).toBe(0);
    const after = treeCpuSeconds(process.pid)!;
    expect(after - before).toBeGreaterThanOrEqual(0.29);
  }, 60_000);

  it('is undefined for a process that does not exist', () => {
    expect(treeCpuSeconds(2 ** 22 + 1)).toBeUndefined();
  });
});
