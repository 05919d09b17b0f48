/**
 * kafkajs 2.2.4 (its last release) re-arms a timer in every broker connection's request queue even
 * when nothing is pending and nothing is throttled, with a negative delay that Node clamps to 1 ms:
 * each connection wakes the process a thousand times a second for as long as it is open
 * (tulios/kafkajs#1556 and #1704; the fix, PR #1667, was never released; the same bug is behind
 * Node's TimeoutNegativeWarning, #1751). Idle services spent about 1 % of a core each on it.
 *
 * This skips the timer when it has nothing to do, and nothing else changes: a request that cannot
 * go out at once is queued and then schedules its check (with something pending, the original
 * code runs), a request that completes checks the queue itself, and a throttle still gets its timer.
 * Loaded by the one place that constructs kafkajs clients (kafka.ts).
 */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
}

const patched = Symbol.for('aperture.kafkajs.idleLoopPatched');

// kafkajs has no "exports" map: its internal modules resolve by path, and the version is pinned in
// package-lock.json; kafkajs-idle-loop.spec.ts fails if a new version changes these internals.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as {
  prototype: RequestQueueInternals & { [patched]?: true };
};

if (!RequestQueue.prototype[patched]) {
  const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    schedule.call(this);
  };
  RequestQueue.prototype[patched] = true;
}
