import { createKafka, createProducer, ensureTopics } from '@aperture/messaging';
import { testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const workerScript = path.join(__dirname, 'fixtures/crash-worker.cjs');
// The integration target depends on the build, so the compiled library is there.
const messagingDist = path.resolve(__dirname, '../../../dist/libs/messaging/src/index.js');

describe('a consumer process killed with SIGKILL mid-stream', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((child) => child.kill('SIGKILL')));

  function startWorker(env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, [workerScript], {
      env: { ...process.env, ...env, MESSAGING_DIST: messagingDist },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    return child;
  }

  const handledLines = (file: string): string[] =>
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

  it('loses nothing: the restarted group redelivers only what was handled but not yet committed', async () => {
    const { kafkaBrokers } = testInfraEnv();
    const kafka = createKafka({ clientId: 'it-crash', brokers: kafkaBrokers, log: () => undefined });
    const admin = kafka.admin();
    const producer = createProducer(kafka);
    await Promise.all([admin.connect(), producer.connect()]);
    const topic = uniqueName('it-crash');
    const total = 300;
    await ensureTopics(admin, [{ name: topic, partitions: 2 }]);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: total }, (_, seq) => ({
        key: `k${seq % 7}`,
        value: JSON.stringify({ seq }),
      })),
    });

    const outFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-crash-')), 'handled.log');
    const env = {
      KAFKA_BROKERS: kafkaBrokers.join(','),
      TOPIC: topic,
      GROUP_ID: uniqueName('it-crash'),
      OUT_FILE: outFile,
    };

    const first = startWorker(env);
    await waitFor(
      'the first worker to handle some messages',
      () => handledLines(outFile).length >= 40,
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const handledBeforeKill = handledLines(outFile).length;
    expect(handledBeforeKill).toBeLessThan(total); // killed mid-stream, not after the end

    startWorker(env);
    await waitFor(
      'every message handled after the restart',
      () => new Set(handledLines(outFile).map((line) => line.split(':')[2])).size >= total,
      90_000,
    );

    const lines = handledLines(outFile);
    const seqs = lines.map((line) => Number(line.split(':')[2]));
    expect(new Set(seqs).size).toBe(total); // nothing lost or skipped
    // Offsets are committed after each handled message, so at most the one message in hand per
    // partition at the moment of the kill is handled twice.
    const duplicates = seqs.length - total;
    expect(duplicates).toBeGreaterThanOrEqual(0);
    expect(duplicates).toBeLessThanOrEqual(2);
    process.stderr.write(
      `crash test: ${handledBeforeKill} handled before SIGKILL, ${total} distinct in the end, ${duplicates} redelivered\n`,
    );
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  });
});
