import {
  AtLeastOnceConsumer,
  type ConsumedMessage,
  createKafka,
  createProducer,
  DeadLetterHeaders,
  ensureTopics,
  redriveDeadLetters,
  sendToDeadLetter,
  type LogSink,
  type RetriesExhaustedError,
} from '@aperture/messaging';
import { testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';

// These tests run against the real broker: Apache Kafka 4 locally (scripts/infra), which also
// proves that kafkajs 2.2.4 still speaks the protocol versions Kafka 4 kept (KIP-896).
// kafkajs logs the failures these tests provoke (and retriable broker answers) at error level;
// they are kept out of the output unless APERTURE_TEST_VERBOSE=1.
const quietLog: LogSink = (level, message, fields) => {
  if (process.env['APERTURE_TEST_VERBOSE'] === '1') {
    process.stderr.write(`${level} ${message} ${JSON.stringify(fields)}\n`);
  }
};

describe('AtLeastOnceConsumer against the real Kafka broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const running: AtLeastOnceConsumer[] = [];

  beforeAll(async () => {
    kafka = createKafka({
      clientId: 'it-messaging',
      brokers: testInfraEnv().kafkaBrokers,
      log: quietLog,
    });
    admin = kafka.admin();
    producer = createProducer(kafka);
    await Promise.all([admin.connect(), producer.connect()]);
    const cluster = await admin.describeCluster();
    process.stderr.write(
      `messaging: Kafka cluster ${cluster.clusterId} with ${cluster.brokers.length} broker(s)\n`,
    );
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  /** Starts a consumer and remembers it so afterEach stops it even when a test fails. */
  async function startConsumer(options: ConstructorParameters<typeof AtLeastOnceConsumer>[1]) {
    const consumer = new AtLeastOnceConsumer(kafka, {
      ...options,
      // Fast redelivery after a handler failure, for the test's sake.
      consumerConfig: { retry: { retries: 0, initialRetryTime: 100 }, ...options.consumerConfig },
    });
    running.push(consumer);
    await consumer.start();
    return consumer;
  }

  async function produce(topic: string, from: number, count: number, keys = 9): Promise<void> {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({
        key: `key-${(from + i) % keys}`,
        value: JSON.stringify({ seq: from + i }),
        headers: { origin: 'test' },
      })),
    });
  }

  async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(offsets!.partitions.map((p) => [p.partition, p.offset]));
  }

  async function endOffsets(topic: string): Promise<Record<number, string>> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((p) => [p.partition, p.high]));
  }

  const seqOf = (message: ConsumedMessage): number => JSON.parse(message.value!.toString()).seq;

  it('creates topics explicitly and refuses a topic with too few partitions', async () => {
    const topic = uniqueName('it-topics');
    expect(await ensureTopics(admin, [{ name: topic, partitions: 3 }])).toEqual({ created: [topic] });
    expect(await ensureTopics(admin, [{ name: topic, partitions: 3 }])).toEqual({ created: [] });
    await expect(ensureTopics(admin, [{ name: topic, partitions: 6 }])).rejects.toThrow(
      `topic ${topic} exists with 3 partition(s) but 6 are required`,
    );
  });

  it('the broker does not create topics on demand', async () => {
    const missing = uniqueName('it-missing');
    // A client that gives up quickly: the shared one retries an unknown topic for ~10 s.
    const impatient = new Kafka({
      brokers: testInfraEnv().kafkaBrokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    const impatientProducer = createProducer(impatient);
    await impatientProducer.connect();
    await expect(impatientProducer.send({ topic: missing, messages: [{ value: 'x' }] })).rejects.toThrow(
      /does not host this topic-partition/,
    );
    await impatientProducer.disconnect();
    expect(await admin.listTopics()).not.toContain(missing);
  });

  it('shares partitions across a group, commits after each handled message, and a restarted group resumes where it left off', async () => {
    const topic = uniqueName('it-group');
    const groupId = uniqueName('it-group');
    await ensureTopics(admin, [{ name: topic, partitions: 3 }]);
    const handled: Array<{ member: string; partition: number; key: string | null; seq: number }> = [];
    const handlerFor = (member: string) => async (message: ConsumedMessage) => {
      handled.push({ member, partition: message.partition, key: message.key, seq: seqOf(message) });
      return 'done' as const;
    };

    await produce(topic, 0, 90);
    const first = await startConsumer({ groupId, topics: [topic], handler: handlerFor('a') });
    const second = await startConsumer({ groupId, topics: [topic], handler: handlerFor('b') });
    await waitFor('90 messages handled', () => handled.length >= 90, 60_000);

    // Every message once, nothing skipped; several partitions; per-key order kept.
    expect(handled.map((h) => h.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    expect(new Set(handled.map((h) => h.partition)).size).toBe(3);
    for (const key of new Set(handled.map((h) => h.key))) {
      const seqs = handled.filter((h) => h.key === key).map((h) => h.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Committed offsets reach the end of every partition: nothing handled is left uncommitted.
    await waitFor('offsets committed', async () => {
      const [committed, end] = await Promise.all([committedOffsets(groupId, topic), endOffsets(topic)]);
      return JSON.stringify(committed) === JSON.stringify(end);
    });

    await Promise.all([first.stop(), second.stop()]);
    await produce(topic, 90, 60);
    handled.splice(0);
    await startConsumer({ groupId, topics: [topic], handler: handlerFor('c') });
    await waitFor('60 new messages handled', () => handled.length >= 60, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // room for any wrongly redelivered message
    expect(handled.map((h) => h.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 60 }, (_, i) => 90 + i),
    );
  });

  it('does not commit past a message whose handler keeps failing, and redelivers it after a restart', async () => {
    const topic = uniqueName('it-redeliver');
    const groupId = uniqueName('it-redeliver');
    await ensureTopics(admin, [{ name: topic, partitions: 1 }]);
    await produce(topic, 0, 5);

    const handled: number[] = [];
    let failures = 0;
    await startConsumer({
      groupId,
      topics: [topic],
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
      handler: async (message) => {
        if (seqOf(message) === 2) {
          failures++;
          throw new Error('database unavailable');
        }
        handled.push(seqOf(message));
        return 'done';
      },
    });
    await waitFor('the failing message retried and redelivered', () => failures >= 4, 60_000);
    expect(handled.filter((seq) => seq > 1)).toEqual([]);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '2' });
    await running.pop()!.stop();

    handled.splice(0);
    await startConsumer({
      groupId,
      topics: [topic],
      handler: async (message) => {
        handled.push(seqOf(message));
        return 'done';
      },
    });
    await waitFor('the rest handled', () => handled.length >= 3, 60_000);
    expect(handled).toEqual([2, 3, 4]);
    await waitFor(
      'offsets committed to the end',
      async () => (await committedOffsets(groupId, topic))[0] === '5',
    );
  });

  it('hands a message that exhausts its retries to the poison handler and moves on', async () => {
    const topic = uniqueName('it-poison');
    const dlqTopic = uniqueName('it-dlq');
    const groupId = uniqueName('it-poison');
    await ensureTopics(admin, [
      { name: topic, partitions: 1 },
      { name: dlqTopic, partitions: 1 },
    ]);
    await produce(topic, 0, 3);
    const toDeadLetter = sendToDeadLetter(producer, dlqTopic);

    const handled: number[] = [];
    const poisoned: Array<{ seq: number; attempts: number; reason: string }> = [];
    const redrivenHeaders: Array<Record<string, string>> = [];
    await startConsumer({
      groupId,
      topics: [topic],
      retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
      handler: async (message) => {
        if (seqOf(message) === 1 && !message.headers['aperture-redriven-at'])
          throw new Error('cannot decode');
        if (message.headers['aperture-redriven-at']) {
          redrivenHeaders.push(
            Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)])),
          );
        }
        handled.push(seqOf(message));
        return 'done';
      },
      onPoison: async (message, error: RetriesExhaustedError) => {
        await toDeadLetter(message, error);
        poisoned.push({
          seq: seqOf(message),
          attempts: error.attempts,
          reason: (error.lastError as Error).message,
        });
      },
    });
    await waitFor('all three messages settled', () => handled.length + poisoned.length >= 3, 60_000);
    expect(handled).toEqual([0, 2]);
    expect(poisoned).toEqual([{ seq: 1, attempts: 3, reason: 'cannot decode' }]);
    // The dead-letter topic holds the message unchanged, with its headers and why it failed.
    const dead: Array<{ value: string; headers: Record<string, string> }> = [];
    const reader = kafka.consumer({ groupId: uniqueName('it-dlq-reader') });
    await reader.connect();
    await reader.subscribe({ topic: dlqTopic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        dead.push({
          value: message.value!.toString(),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await waitFor('the dead-lettered message', () => dead.length >= 1, 30_000);
    await reader.disconnect();
    expect(dead).toEqual([
      {
        value: JSON.stringify({ seq: 1 }),
        headers: expect.objectContaining({
          origin: 'test',
          [DeadLetterHeaders.error]: 'cannot decode',
          [DeadLetterHeaders.originalTopic]: topic,
          [DeadLetterHeaders.originalPartition]: '0',
          [DeadLetterHeaders.originalOffset]: '1',
          [DeadLetterHeaders.attempts]: '3',
        }),
      },
    ]);
    await waitFor(
      'offsets committed past the poison message',
      async () => (await committedOffsets(groupId, topic))[0] === '3',
    );

    // An operator lists it, then re-drives it: back on its topic with its original headers, once.
    const listed = await redriveDeadLetters(kafka, { deadLetterTopic: dlqTopic, dryRun: true });
    expect(listed).toEqual([
      expect.objectContaining({ originalTopic: topic, error: 'cannot decode', attempts: 3, offset: '0' }),
    ]);
    expect(await redriveDeadLetters(kafka, { deadLetterTopic: dlqTopic, dryRun: true })).toHaveLength(1);
    expect(await redriveDeadLetters(kafka, { deadLetterTopic: dlqTopic })).toHaveLength(1);
    // The stage now handles it (the bug is fixed), with the headers it first came with.
    await waitFor('the re-driven message handled', () => handled.includes(1), 60_000);
    expect(handled).toEqual([0, 2, 1]);
    expect(redrivenHeaders).toEqual([
      expect.objectContaining({ origin: 'test', 'aperture-redriven-at': expect.any(String) }),
    ]);
    expect(Object.keys(redrivenHeaders[0]!).filter((name) => name.startsWith('aperture-dlq-'))).toEqual([]);
    // A second re-drive finds nothing new.
    expect(await redriveDeadLetters(kafka, { deadLetterTopic: dlqTopic })).toEqual([]);
  });
});
