export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5000 };

/** The delay before attempt number `attempt` (2 = the first retry), with exponential backoff. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 2));
}

export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(
      `gave up after ${attempts} attempt(s): ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
    this.name = 'RetriesExhaustedError';
  }
}

/** Thrown when retrying stopped early because the process is shutting down (not a poison message). */
export class RetryAbortedError extends Error {
  constructor(readonly lastError: unknown) {
    super('retrying stopped early: shutting down');
    this.name = 'RetryAbortedError';
  }
}

/**
 * Runs `work` until it succeeds or the policy's attempts are used up, waiting with backoff in
 * between; `shouldStop` lets a shutting-down consumer stop retrying early. `isOutage` is asked
 * about each failure: when it resolves true (after waiting for the outage to end), the failure
 * was the world's, not the work's, and the same attempt runs again without using one up.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  work: (attempt: number) => Promise<T>,
  options: {
    sleep?: (ms: number) => Promise<void>;
    shouldStop?: () => boolean;
    isOutage?: (error: unknown) => Promise<boolean>;
  } = {},
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let attempt = 1;
  for (;;) {
    try {
      return await work(attempt);
    } catch (error) {
      const outage = options.isOutage ? await options.isOutage(error) : false;
      if (!outage && attempt >= policy.maxAttempts) throw new RetriesExhaustedError(attempt, error);
      if (options.shouldStop?.()) throw new RetryAbortedError(error);
      if (outage) continue;
      attempt++;
      await sleep(backoffDelay(policy, attempt));
    }
  }
}
