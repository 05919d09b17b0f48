import type { Consumer, ConsumerConfig, IHeaders, Kafka } from 'kafkajs';
import { defaultRetryPolicy, type RetryPolicy, RetriesExhaustedError, withRetries } from './retry';
import { withConsumerSpan } from './tracing';

/** How often a member heartbeats while its handler works (kafkajs sends one only once due). */
const HEARTBEAT_WHILE_HANDLING_MS = 1_000;
/** The pause before a consumer that crashed for good is started again. */
const RESTART_AFTER_CRASH_MS = 1_000;

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

/** What a handler did with a message; any outcome other than a thrown error commits the offset. */
export type HandlerOutcome = 'done' | 'duplicate' | 'skipped';

export type MessageHandler = (message: ConsumedMessage) => Promise<HandlerOutcome>;

/**
 * Called when a message still fails after every retry. If it resolves, the offset is committed and
 * consumption moves on (the place to send the message to a dead-letter topic). Without it the
 * consumer stops at the message, commits nothing past it, and the group redelivers it later.
 */
export type PoisonHandler = (message: ConsumedMessage, error: RetriesExhaustedError) => Promise<void>;

export interface AtLeastOnceConsumerOptions {
  groupId: string;
  topics: string[];
  handler: MessageHandler;
  onPoison?: PoisonHandler;
  retry?: RetryPolicy;
  /** Read a topic from its start when the group has no committed offset yet (default true). */
  fromBeginning?: boolean;
  /** How many partitions this process handles at once (default 1: sized for 2 cores). */
  partitionsConsumedConcurrently?: number;
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
  /**
   * Whether the service's dependencies (database, broker) answer. When set, a handler failure while
   * it says false is an outage, not a poison message: the consumer holds the message, heartbeating,
   * until the dependencies answer again, then handles it again without using up a retry. So an
   * outage stops consumption (the lag grows, memory does not) and never dead-letters a message.
   */
  dependenciesUp?: () => Promise<boolean>;
  /** How often to ask `dependenciesUp` during an outage (default 1000 ms). */
  outagePollMs?: number;
  /** Told when an outage starts holding a message, and when it ends. */
  onOutage?: (event: 'started' | 'ended', message: ConsumedMessage) => void;
}

/**
 * A Kafka consumer that gives at-least-once delivery: auto-commit is off and a message's offset is
 * committed only after its handler has succeeded (or its poison handler has taken it). A crash at
 * any point therefore redelivers the message, so handlers must be idempotent. Messages of one
 * partition are handled in order, one at a time.
 */
export class AtLeastOnceConsumer {
  private readonly consumer: Consumer;
  private stopping = false;
  private started = false;
  /** The heartbeat timers of the handlers in progress (stop clears them). */
  private readonly heartbeatTimers = new Set<NodeJS.Timeout>();

  constructor(
    kafka: Kafka,
    private readonly options: AtLeastOnceConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      ...options.consumerConfig,
      retry: {
        ...options.consumerConfig?.retry,
        // kafkajs decides to restart a crashed consumer after its own disconnect, and a stop() in
        // that window cleared no timer yet: without this check the consumer came back to life
        // after stop() and kept fetching and heartbeating (seen after a test file had ended).
        restartOnFailure: async (error) =>
          !this.stopping && ((await options.consumerConfig?.retry?.restartOnFailure?.(error)) ?? true),
      },
      groupId: options.groupId,
    });
    // A crash kafkajs does not restart from (a non-retriable error, e.g. a commit refused with
    // UNKNOWN_MEMBER_ID after the group dropped this member) would leave the stage consuming
    // nothing for good: the consumer joins again and resumes from the group's committed offsets.
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      setTimeout(() => {
        if (!this.started || this.stopping) return;
        void this.consumer
          .connect()
          // stop() may have run while connecting: then the rejoin ends here.
          .then(() => (this.started && !this.stopping ? this.run() : this.consumer.disconnect()))
          .catch(() => undefined);
      }, RESTART_AFTER_CRASH_MS).unref();
    });
  }

  /** Joins the group and starts handling messages; resolves once consumption has started. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.run();
  }

  private async run(): Promise<void> {
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async (payload) => {
        const { topic, partition, message } = payload;
        const consumed: ConsumedMessage = {
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: message.headers ?? {},
          timestamp: message.timestamp,
        };
        // A handler can outlast the session timeout (a 12 MP photo on a busy machine): heartbeats
        // keep this member in its group meanwhile, so its commit is not refused.
        // They end with the handler, or when the consumer stops (a handler that never returns must
        // not heartbeat a stopped consumer's group forever).
        const heartbeats = setInterval(() => {
          if (!this.stopping) void payload.heartbeat().catch(() => undefined);
        }, HEARTBEAT_WHILE_HANDLING_MS).unref();
        this.heartbeatTimers.add(heartbeats);
        try {
          await withConsumerSpan({ ...consumed, groupId: this.options.groupId }, () =>
            this.handle(consumed, () => payload.heartbeat()),
          );
        } finally {
          clearInterval(heartbeats);
          this.heartbeatTimers.delete(heartbeats);
        }
        await this.consumer.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
  }

  /**
   * Leaves the group gracefully: the message in hand finishes (and is committed) first, then the
   * partitions are handed to the other members. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    this.started = false;
    for (const timer of this.heartbeatTimers) clearInterval(timer);
    this.heartbeatTimers.clear();
    await this.consumer.disconnect();
  }

  /** The underlying kafkajs consumer's events (crash, rebalance, ...), for health and metrics. */
  get events(): Consumer['events'] {
    return this.consumer.events;
  }

  on: Consumer['on'] = (...args) => this.consumer.on(...args);

  private async handle(message: ConsumedMessage, heartbeat: () => Promise<void>): Promise<void> {
    try {
      await withRetries(this.options.retry ?? defaultRetryPolicy, () => this.options.handler(message), {
        shouldStop: () => this.stopping,
        isOutage: () => this.waitOutOutage(message, heartbeat),
      });
    } catch (error) {
      if (!(error instanceof RetriesExhaustedError) || !this.options.onPoison) throw error;
      await this.options.onPoison(message, error);
    }
  }

  /** True after waiting for an outage to end (or for the consumer to stop); false if there was none. */
  private async waitOutOutage(message: ConsumedMessage, heartbeat: () => Promise<void>): Promise<boolean> {
    const up = this.options.dependenciesUp;
    if (!up || (await up())) return false;
    this.options.onOutage?.('started', message);
    const pollMs = this.options.outagePollMs ?? 1_000;
    while (!this.stopping && !(await up())) {
      // Stay in the group while the broker answers (a database outage): the message stays ours.
      await heartbeat().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    this.options.onOutage?.('ended', message);
    return true;
  }
}
