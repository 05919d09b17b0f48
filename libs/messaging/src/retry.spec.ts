import { backoffDelay, RetriesExhaustedError, RetryAbortedError, withRetries } from '@aperture/messaging';

const policy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 250 };

describe('withRetries', () => {
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  beforeEach(() => sleeps.splice(0));

  it('returns the first success and waits with exponential, capped backoff before each retry', async () => {
    const attempts: number[] = [];
    const result = await withRetries(
      policy,
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 4) throw new Error(`boom ${attempt}`);
        return 'ok';
      },
      { sleep },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(sleeps).toEqual([100, 200, 250]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const work = jest.fn(async (attempt: number) => {
      throw new Error(`boom ${attempt}`);
    });
    const failure = withRetries(policy, work, { sleep });
    await expect(failure).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failure).rejects.toThrow('gave up after 4 attempt(s): boom 4');
    expect(work).toHaveBeenCalledTimes(4);
  });

  it('stops retrying when asked to, without calling the message poison', async () => {
    let stopping = false;
    const failure = withRetries(
      policy,
      async () => {
        stopping = true;
        throw new Error('broker gone');
      },
      { sleep, shouldStop: () => stopping },
    );
    await expect(failure).rejects.toBeInstanceOf(RetryAbortedError);
    expect(sleeps).toEqual([]);
  });
});

describe('withRetries during an outage', () => {
  it('runs the same attempt again, without using one up or backing off, while isOutage says so', async () => {
    const sleeps: number[] = [];
    const attempts: number[] = [];
    let outageFailures = 0;
    const result = await withRetries(
      policy,
      async (attempt) => {
        attempts.push(attempt);
        if (attempts.length <= 6) throw new Error('database unreachable');
        if (attempt < 3) throw new Error('bad data');
        return 'ok';
      },
      {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        // The first six failures happen during an outage (the callback would have waited it out).
        isOutage: async () => ++outageFailures <= 6,
      },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([1, 1, 1, 1, 1, 1, 1, 2, 3]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('still gives up on a message that fails while everything is up', async () => {
    const failure = withRetries(
      policy,
      async () => {
        throw new Error('bad data');
      },
      { sleep: async () => undefined, isOutage: async () => false },
    );
    await expect(failure).rejects.toThrow('gave up after 4 attempt(s): bad data');
  });
});

describe('backoffDelay', () => {
  it('is zero for the first attempt', () => {
    expect(backoffDelay(policy, 1)).toBe(0);
    expect(backoffDelay(policy, 2)).toBe(100);
    expect(backoffDelay(policy, 10)).toBe(250);
  });
});
