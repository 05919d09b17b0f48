import { deadLetterTopic, pipelineTopics } from '@aperture/contracts';
import { createKafka, DeadLetterHeaders, ensureTopics } from '@aperture/messaging';
import { testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import { dlqCommand } from './dlq';

// `aperture dlq list|redrive` against the real broker: a dead-lettered message is listed, re-driven
// to the topic it came from with its original headers, and not listed again.
describe('aperture dlq', () => {
  const brokers = testInfraEnv().kafkaBrokers;
  const kafka = createKafka({ clientId: 'it-cli-dlq', brokers, log: () => undefined });
  const originalTopic = uniqueName('it-cli-dlq-origin');
  const key = uniqueName('img');

  const run = async (action: 'list' | 'redrive') => {
    let stdout = '';
    let stderr = '';
    const code = await dlqCommand(
      action,
      { service: 'compliance', json: true },
      {
        stdout: { write: (text: string) => ((stdout += text), true) },
        stderr: { write: (text: string) => ((stderr += text), true) },
        env: { KAFKA_BROKERS: brokers.join(',') },
      },
    );
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map(
        (line) => JSON.parse(line) as { key: string; originalTopic: string; error: string; attempts: number },
      );
    return { code, stderr, mine: lines.filter((line) => line.key === key) };
  };

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [...pipelineTopics(), { name: originalTopic, partitions: 1 }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: deadLetterTopic('compliance'),
      acks: -1,
      messages: [
        {
          key,
          value: 'payload',
          headers: {
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            [DeadLetterHeaders.error]: 'consent registry unreachable',
            [DeadLetterHeaders.originalTopic]: originalTopic,
            [DeadLetterHeaders.attempts]: '5',
            [DeadLetterHeaders.failedAt]: new Date().toISOString(),
          },
        },
      ],
    });
    await producer.disconnect();
  });

  it('lists, re-drives once, and then no longer lists the message', async () => {
    const listed = await run('list');
    expect(listed.code).toBe(0);
    expect(listed.mine).toEqual([
      expect.objectContaining({ originalTopic, error: 'consent registry unreachable', attempts: 5 }),
    ]);
    expect(listed.stderr).toMatch(/message\(s\) waiting on aperture\.dlq\.compliance\.v1/);

    const redriven = await run('redrive');
    expect(redriven.code).toBe(0);
    expect(redriven.mine).toHaveLength(1);

    const arrived: Array<{ value: string; headers: Record<string, string> }> = [];
    const reader = kafka.consumer({ groupId: uniqueName('it-cli-dlq-reader') });
    await reader.connect();
    await reader.subscribe({ topics: [originalTopic], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        arrived.push({
          value: message.value!.toString(),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
      },
    });
    await waitFor('the re-driven message', () => arrived.length >= 1, 30_000);
    await reader.disconnect();
    expect(arrived).toEqual([
      {
        value: 'payload',
        headers: {
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          'aperture-redriven-at': expect.any(String),
        },
      },
    ]);

    expect((await run('list')).mine).toEqual([]);
  });

  it('refuses an unreachable broker with a clear error and exit 1', async () => {
    let stderr = '';
    const code = await dlqCommand(
      'list',
      { service: 'quality', brokers: '127.0.0.1:1' },
      {
        stdout: { write: () => true },
        stderr: { write: (text: string) => ((stderr += text), true) },
        env: {},
      },
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: /);
  }, 120_000);
});
