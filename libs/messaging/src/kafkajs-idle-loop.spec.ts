import { createKafka } from './kafka';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  checkPendingRequests(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueueClass = require('kafkajs/src/network/requestQueue') as new (
  options: object,
) => RequestQueue;

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe("kafkajs's request queue once messaging is loaded", () => {
  let queue: RequestQueue;
  beforeEach(() => {
    createKafka({ clientId: 'spec', brokers: ['127.0.0.1:1'] }); // loads the patch, as every service does
    queue = new RequestQueueClass({
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      clientId: 'spec',
      broker: 'b',
      logger: quiet,
    });
  });
  afterEach(() => {
    if (queue.throttleCheckTimeoutId) clearTimeout(queue.throttleCheckTimeoutId);
  });

  it('arms no timer when nothing is pending and nothing is throttled (kafkajs 2.2.4 armed a 1 ms one, forever)', () => {
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks the queue later when a request waits', () => {
    queue.pending.push({});
    queue.throttledUntil = Date.now() + 60_000; // throttled: the request cannot go out now
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
  });

  it('still wakes up at the end of a throttle with nothing pending', () => {
    queue.throttledUntil = Date.now() + 60_000;
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
  });
});
