import * as fs from 'node:fs';

/** USER_HZ: the unit of the CPU times in /proc/PID/stat on Linux. */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process and all its descendants have used so far, from
 * /proc/PID/stat: each live process's own utime and stime, plus the root's cutime and cstime (what
 * its children that already exited and were reaped used, e.g. PostgreSQL's backends that closed).
 * A descendant that exits between two readings moves from the first sum to its parent's cutime, so
 * a difference of two readings counts it once. Undefined when the process is gone.
 */
export function treeCpuSeconds(pid: number): number | undefined {
  const root = statTimes(pid);
  if (!root) return undefined;
  let ticks = root.utime + root.stime + root.cutime + root.cstime;
  for (const child of descendants(pid)) {
    const times = statTimes(child);
    // A child's own reaped children are in its cutime and cstime.
    if (times) ticks += times.utime + times.stime + times.cutime + times.cstime;
  }
  return ticks / TICKS_PER_SECOND;
}

interface StatTimes {
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function statTimes(pid: number): StatTimes | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  // utime, stime, cutime, cstime are fields 14 to 17, i.e. 11 to 14 after the name.
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
  return { utime: utime!, stime: stime!, cutime: cutime!, cstime: cstime! };
}

/** Every live descendant of `pid` (children of each of its threads, recursively). */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let children: string;
      try {
        children = fs.readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8');
      } catch {
        continue; // the thread ended
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}
