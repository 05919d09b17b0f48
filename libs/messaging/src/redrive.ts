import type { IHeaders, Kafka } from 'kafkajs';
import { DeadLetterHeaders } from './dead-letter';

/** A message on a dead-letter topic, with what sendToDeadLetter recorded about its failure. */
export interface DeadLetteredMessage {
  partition: number;
  offset: string;
  key: string | null;
  originalTopic: string;
  error: string;
  attempts: number;
  failedAt: string;
}

export interface RedriveOptions {
  /** For example deadLetterTopic('quality') = aperture.dlq.quality.v1. */
  deadLetterTopic: string;
  /** Only list what would be re-driven: nothing is published and nothing is marked done. */
  dryRun?: boolean;
  /** At most this many messages (default: all that are there now). */
  limit?: number;
  /** Called for each message, after it was re-driven (or, with dryRun, as it is read). */
  onMessage?: (message: DeadLetteredMessage) => void;
  /** How long to wait for the topic to be read to its current end (default 60 s). */
  timeoutMs?: number;
}

/** The consumer group that remembers how far a dead-letter topic has been re-driven. */
export function redriveGroupId(deadLetterTopic: string): string {
  return `aperture-redrive.${deadLetterTopic}`;
}

/**
 * Re-drives the messages of a dead-letter topic that arrived since the last re-drive: each goes back,
 * unchanged and with its original headers (the dead-letter ones removed, `aperture-redriven-at`
 * added), to the topic it came from, so the stage handles it again (for example once the bug that
 * made it fail is fixed). At least once: a message is published before the re-drive group commits
 * past it, so an interrupted re-drive repeats a message rather than skipping one, and the stages'
 * handlers are idempotent. Returns the messages re-driven (or, with dryRun, found).
 */
export async function redriveDeadLetters(
  kafka: Kafka,
  options: RedriveOptions,
): Promise<DeadLetteredMessage[]> {
  const topic = options.deadLetterTopic;
  const groupId = redriveGroupId(topic);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let toRead: number;
  try {
    const [offsets, committed] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const done = new Map(
      (committed[0]?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)] as const),
    );
    ends = new Map(offsets.map((entry) => [entry.partition, BigInt(entry.high)] as const));
    toRead = offsets.reduce((sum, entry) => {
      const from = (done.get(entry.partition) ?? -1n) >= 0n ? done.get(entry.partition)! : BigInt(entry.low);
      return sum + Number(BigInt(entry.high) - from);
    }, 0);
  } finally {
    await admin.disconnect();
  }
  const handled: DeadLetteredMessage[] = [];
  if (toRead === 0 || limit === 0) return handled;

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId });
  await Promise.all([producer.connect(), consumer.connect()]);
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let read = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (read >= Math.min(limit, toRead) || BigInt(message.offset) >= (ends.get(partition) ?? 0n)) return;
        read++;
        const headers = message.headers ?? {};
        const dead: DeadLetteredMessage = {
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          originalTopic: headerText(headers, DeadLetterHeaders.originalTopic),
          error: headerText(headers, DeadLetterHeaders.error),
          attempts: Number(headerText(headers, DeadLetterHeaders.attempts) || 0),
          failedAt: headerText(headers, DeadLetterHeaders.failedAt),
        };
        if (!options.dryRun) {
          if (!dead.originalTopic)
            throw new Error(`message ${partition}/${message.offset} names no original topic`);
          await producer.send({
            topic: dead.originalTopic,
            acks: -1,
            messages: [
              {
                key: message.key,
                value: message.value,
                headers: { ...originalHeaders(headers), 'aperture-redriven-at': new Date().toISOString() },
              },
            ],
          });
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
        }
        handled.push(dead);
        options.onMessage?.(dead);
        if (read >= Math.min(limit, toRead)) finish();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs ?? 60_000)),
    );
    const outcome = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      throw new Error(
        `read ${read} of ${Math.min(limit, toRead)} dead-lettered messages of ${topic} before timing out`,
      );
    }
    return handled;
  } finally {
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
  }
}

function headerText(headers: IHeaders, name: string): string {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? '' : first.toString();
}

/** The headers the message had before it was dead-lettered. */
function originalHeaders(headers: IHeaders): IHeaders {
  const deadLetterNames = new Set<string>(Object.values(DeadLetterHeaders));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !deadLetterNames.has(name)));
}
