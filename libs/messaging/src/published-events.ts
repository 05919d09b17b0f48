import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/**
 * Which of `eventIds` were published on `topic` since `sinceMs`, by the value of their header
 * `idHeader` (the outbox's event ids: `OUTBOX_EVENT_ID_HEADER` of @aperture/persistence): reads
 * every partition from the first offset at or after that time to its current end. Made for the
 * rare case of an outbox relay that died between publishing and clearing its claim, so whoever
 * takes the claim over can tell what already went out; the window is the claim's lifetime, so the
 * read is short. Throws if the topic cannot be read to its end within `timeoutMs`.
 */
export async function findPublishedEvents(
  kafka: Kafka,
  topic: string,
  sinceMs: number,
  eventIds: ReadonlySet<string>,
  idHeader: string,
  timeoutMs = 30_000,
): Promise<Set<string>> {
  const found = new Set<string>();
  if (eventIds.size === 0) return found;
  const admin = kafka.admin();
  await admin.connect();
  let ranges: Array<{ partition: number; from: bigint; end: bigint }>;
  try {
    const [starts, ends] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, sinceMs),
      admin.fetchTopicOffsets(topic),
    ]);
    ranges = ends.map((end) => {
      const start = starts.find((entry) => entry.partition === end.partition);
      // -1: no message at or after the time; nothing to read in that partition.
      const from = start && BigInt(start.offset) >= 0n ? BigInt(start.offset) : BigInt(end.high);
      return { partition: end.partition, from, end: BigInt(end.high) };
    });
  } finally {
    await admin.disconnect();
  }
  const toRead = ranges.filter((range) => range.from < range.end);
  if (toRead.length === 0) return found;

  // A throwaway group that commits nothing: kafkajs has no manual partition assignment.
  const consumer = kafka.consumer({ groupId: `aperture-event-lookup-${randomUUID()}` });
  const reached = new Map<number, bigint>(toRead.map((range) => [range.partition, range.from]));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const allRead = () => toRead.every((range) => (reached.get(range.partition) ?? 0n) >= range.end);
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ partition, message }) => {
        const id = message.headers?.[idHeader]?.toString();
        if (id !== undefined && eventIds.has(id)) found.add(id);
        reached.set(partition, BigInt(message.offset) + 1n);
        if (allRead()) done();
        return Promise.resolve();
      },
    });
    for (const range of toRead)
      consumer.seek({ topic, partition: range.partition, offset: range.from.toString() });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
    );
    const outcome = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new Error(`could not read ${topic} to its end within ${timeoutMs} ms`);
    return found;
  } finally {
    await consumer.disconnect();
  }
}
