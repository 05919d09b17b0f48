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

describe('backoffDelay', () => {
  it('is zero for the first attempt', () => {
    expect(backoffDelay(policy, 1)).toBe(0);
    expect(backoffDelay(policy, 2)).toBe(100);
    expect(backoffDelay(policy, 10)).toBe(250);
  });
});
