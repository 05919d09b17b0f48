// The commands behind main.ts's argument parsing: each takes parsed options plus its surroundings
// (streams, environment, fetch, clock) and returns the process exit code.
import { ApiClient, ApiError, errorMessage, type RetryEvent } from './api-client';
import { collectFiles, PathError } from './files';
import { renderBatch, renderSummary, summarize } from './format';
import { BarProgress, LineProgress, type TextStream } from './progress';
import { systemClock, UploadAborted, uploadBatch, type Clock, type UploadProgress } from './upload';

export const ExitCode = {
  /** The batch completed (or was closed, with --no-follow); `batch` found the batch. */
  ok: 0,
  /** Bad arguments, missing key, an API error, the API unreachable after retries, nothing accepted. */
  fatal: 1,
  /** The batch did not complete before --timeout. */
  timedOut: 2,
  /** `audit verify` found the chain altered. */
  auditBroken: 3,
} as const;

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export interface CliIo {
  stdout: TextStream;
  stderr: TextStream;
  env: Record<string, string | undefined>;
  /** Draw a live progress bar on stderr (a terminal), rather than plain lines. */
  stderrIsTTY?: boolean;
  fetch?: typeof fetch;
  clock?: Clock;
  newIdempotencyKey?: () => string;
  /** Passed to the API client; tests shorten the backoff. */
  retryBaseDelayMs?: number;
}

export interface ConnectionOptions {
  api?: string;
  key?: string;
}

export interface UploadCommandOptions extends ConnectionOptions {
  project: string;
  region?: string;
  consent?: string[];
  concurrency?: number;
  json?: boolean;
  follow?: boolean;
  /** Seconds to wait for completion. */
  timeout?: number;
  /** A campaign upload: the campaign, the declared cell attributes, the collector's token. */
  campaign?: string;
  category?: string;
  setting?: string;
  tags?: string;
  collectorToken?: string;
}

/** The multipart fields and header of a campaign upload; undefined for an ordinary one. */
export function campaignUpload(
  options: Pick<UploadCommandOptions, 'campaign' | 'category' | 'setting' | 'tags' | 'collectorToken'>,
  env: CliIo['env'],
): { fields: Record<string, string>; headers: Record<string, string> } | undefined {
  if (!options.campaign) {
    if (options.category || options.setting || options.tags)
      throw new UsageError('--category, --setting and --tags describe a campaign upload: add --campaign ID');
    return undefined;
  }
  const token = options.collectorToken ?? env.APERTURE_COLLECTOR_TOKEN;
  if (!token)
    throw new UsageError(
      'a campaign upload needs the collector token: --collector-token or APERTURE_COLLECTOR_TOKEN',
    );
  return {
    fields: {
      campaignId: options.campaign,
      ...(options.category && { category: options.category }),
      ...(options.setting && { setting: options.setting }),
      ...(options.tags && { tags: options.tags }),
    },
    headers: { 'x-collector-token': token },
  };
}

export interface BatchCommandOptions extends ConnectionOptions {
  json?: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function resolveConnection(
  options: ConnectionOptions,
  env: CliIo['env'],
): { baseUrl: string; apiKey: string } {
  const baseUrl = nonBlank(options.api) ?? nonBlank(env.APERTURE_API_URL) ?? DEFAULT_API_URL;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`not a URL: ${baseUrl} (--api or APERTURE_API_URL)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the API URL must be http:// or https://, not ${baseUrl}`);
  }
  const apiKey = nonBlank(options.key) ?? nonBlank(env.APERTURE_API_KEY);
  if (!apiKey) {
    throw new UsageError('no API key: set APERTURE_API_KEY (or pass --key KEY)');
  }
  return { baseUrl, apiKey };
}

export async function uploadCommand(
  paths: readonly string[],
  options: UploadCommandOptions,
  io: CliIo,
): Promise<number> {
  const clock = io.clock ?? systemClock;
  let batchId: string | undefined;
  try {
    const connection = resolveConnection(options, io.env);
    const campaign = campaignUpload(options, io.env);
    if (paths.length === 0) throw new UsageError('no PATH given: name the files or folders to upload');
    const files = await collectFiles(paths);
    if (files.length === 0) throw new UsageError(`no files to upload in ${paths.join(', ')}`);

    const progress: UploadProgress = io.stderrIsTTY
      ? new BarProgress(io.stderr as NodeJS.WritableStream)
      : new LineProgress(io.stderr, clock);
    const client = makeClient(
      connection,
      io,
      clock,
      (event) => progress.note(describeRetry(event)),
      campaign?.headers,
    );
    const result = await uploadBatch(
      {
        projectId: options.project,
        files,
        ...(options.region !== undefined && { region: options.region }),
        ...(options.consent && { consentIds: options.consent }),
        ...(campaign && { fields: campaign.fields }),
        ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
        follow: options.follow !== false,
        ...(options.timeout !== undefined && { timeoutMs: options.timeout * 1000 }),
      },
      { client, clock, progress, ...(io.newIdempotencyKey && { newIdempotencyKey: io.newIdempotencyKey }) },
    );
    batchId = result.batchId;

    const summary = summarize(result);
    io.stdout.write(options.json ? `${JSON.stringify(summary)}\n` : renderSummary(summary));
    if (result.accepted === 0) {
      io.stderr.write(`error: no file was accepted (batch ${batchId} is closed and empty)\n`);
      return ExitCode.fatal;
    }
    if (result.timedOut) {
      io.stderr.write(
        `batch ${batchId} did not complete within ${options.timeout ?? 600} s; ` +
          `check it later with: aperture batch ${batchId}\n`,
      );
      return ExitCode.timedOut;
    }
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof UploadAborted) batchId = error.batchId;
    return fail(error, io, options.json === true, batchId);
  }
}

export async function batchCommand(id: string, options: BatchCommandOptions, io: CliIo): Promise<number> {
  try {
    const connection = resolveConnection(options, io.env);
    const client = makeClient(connection, io, io.clock ?? systemClock, (event) =>
      io.stderr.write(`${describeRetry(event)}\n`),
    );
    const batch = await client.getBatch(id);
    io.stdout.write(options.json ? `${JSON.stringify(batch)}\n` : renderBatch(batch));
    return ExitCode.ok;
  } catch (error) {
    return fail(error, io, options.json === true, undefined);
  }
}

function makeClient(
  connection: { baseUrl: string; apiKey: string },
  io: CliIo,
  clock: Clock,
  onRetry: (event: RetryEvent) => void,
  headers?: Record<string, string>,
): ApiClient {
  return new ApiClient({
    ...connection,
    ...(headers && { headers }),
    sleep: (ms) => clock.sleep(ms),
    onRetry,
    ...(io.fetch && { fetch: io.fetch }),
    ...(io.retryBaseDelayMs !== undefined && { baseDelayMs: io.retryBaseDelayMs }),
  });
}

function describeRetry(event: RetryEvent): string {
  const why = event.error.status === undefined ? event.error.message : `HTTP ${event.error.status}`;
  return `${event.method} ${event.path}: ${why}; retry ${event.attempt} in ${(event.delayMs / 1000).toFixed(1)} s`;
}

/** Prints a fatal error on stderr (and, with --json, as the one JSON object on stdout). */
function fail(error: unknown, io: CliIo, json: boolean, batchId: string | undefined): number {
  const reason = error instanceof UploadAborted ? error.reason : error;
  let code: string;
  let message: string;
  if (reason instanceof ApiError) {
    code = reason.code;
    message = reason.describe();
    if (reason.status === 401 || reason.status === 403) message += ' (check --key or APERTURE_API_KEY)';
    if (reason.status === undefined && reason.attempts > 1) message += ` (after ${reason.attempts} attempts)`;
  } else if (reason instanceof UsageError || reason instanceof PathError) {
    code = 'invalid_arguments';
    message = reason.message;
  } else {
    code = 'internal';
    message = errorMessage(reason);
  }
  io.stderr.write(`error: ${message}\n`);
  if (batchId !== undefined) {
    io.stderr.write(`batch ${batchId} was left as it is; see it with: aperture batch ${batchId}\n`);
  }
  if (json) {
    const plain = reason instanceof ApiError ? reason.message : message;
    io.stdout.write(
      `${JSON.stringify({ ...(batchId !== undefined && { batchId }), error: { code, message: plain } })}\n`,
    );
  }
  return ExitCode.fatal;
}

function nonBlank(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
