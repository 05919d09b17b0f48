// `aperture dlq list|redrive`: the operator's view of a stage's dead-letter topic, straight from
// Kafka (KAFKA_BROKERS or --brokers), and the re-drive of its messages to the topic they came from.
import { deadLetterTopic, type ServiceName } from '@aperture/contracts';
import { createKafka, type DeadLetteredMessage, redriveDeadLetters } from '@aperture/messaging';
// Types only: commander is ESM, loaded by main.ts (which passes its InvalidArgumentError in).
import type { Command, InvalidArgumentError } from 'commander';
import type { TextStream } from './progress';

const STAGES: readonly ServiceName[] = [
  'quality',
  'standardize',
  'compliance',
  'annotation-router',
  'campaigns',
];

export interface DlqCommandOptions {
  service: ServiceName;
  brokers?: string;
  limit?: number;
  json?: boolean;
}

export interface DlqIo {
  stdout: TextStream;
  stderr: TextStream;
  env: Record<string, string | undefined>;
}

export function registerDlq(
  program: Command,
  setExitCode: (code: number) => void,
  Invalid: typeof InvalidArgumentError,
): void {
  const stageName = (value: string): ServiceName => {
    if (!(STAGES as readonly string[]).includes(value))
      throw new Invalid(`expected one of ${STAGES.join(', ')}`);
    return value as ServiceName;
  };
  const positiveInt = (value: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Invalid('expected a positive integer');
    return parsed;
  };
  const dlq = program
    .command('dlq')
    .description(
      "A stage's dead-letter topic: list its messages, or re-drive them (operators; talks to Kafka).",
    );
  const common = (command: Command) =>
    command
      .requiredOption('--service <name>', `the stage: ${STAGES.join(', ')}`, stageName)
      .option(
        '--brokers <host:port,...>',
        'Kafka bootstrap brokers (default: KAFKA_BROKERS, else 127.0.0.1:9092)',
      )
      .option('--limit <n>', 'at most this many messages', positiveInt)
      .option('--json', 'one JSON object per message on stdout');
  const io = (): DlqIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });
  common(dlq.command('list'))
    .description('Lists the messages not yet re-driven, with why each failed (changes nothing).')
    .action(async (options: DlqCommandOptions) => setExitCode(await dlqCommand('list', options, io())));
  common(dlq.command('redrive'))
    .description(
      'Publishes each message not yet re-driven back to the topic it came from, with its original headers, so the stage handles it again; each is re-driven once.',
    )
    .addHelpText(
      'after',
      `
Re-drive once the cause is fixed (a new version deployed, a dependency restored): the stages are
idempotent, so a message that already went through is answered as a duplicate.

Example:
  aperture dlq list --service quality
  aperture dlq redrive --service quality --limit 10`,
    )
    .action(async (options: DlqCommandOptions) => setExitCode(await dlqCommand('redrive', options, io())));
}

export async function dlqCommand(
  action: 'list' | 'redrive',
  options: DlqCommandOptions,
  io: DlqIo,
): Promise<number> {
  const brokers = (options.brokers ?? io.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim());
  const topic = deadLetterTopic(options.service);
  const kafka = createKafka({ clientId: 'aperture-cli-dlq', brokers, log: () => undefined });
  const print = (message: DeadLetteredMessage) =>
    io.stdout.write(
      options.json
        ? `${JSON.stringify({ action, ...message })}\n`
        : `${action === 'list' ? 'dead ' : 'redriven '}${message.partition}/${message.offset} key=${message.key ?? ''} ` +
            `from=${message.originalTopic} attempts=${message.attempts} failedAt=${message.failedAt} error=${JSON.stringify(message.error)}\n`,
    );
  try {
    const messages = await redriveDeadLetters(kafka, {
      deadLetterTopic: topic,
      dryRun: action === 'list',
      ...(options.limit !== undefined && { limit: options.limit }),
      onMessage: print,
    });
    io.stderr.write(
      `${messages.length} message(s) ${action === 'list' ? 'waiting on' : 're-driven from'} ${topic}\n`,
    );
    return 0;
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
