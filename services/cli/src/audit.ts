import { ChainVerifier, type ChainedEntry, type ChainProblem } from '@aperture/audit';
import type { Command } from 'commander';
import { ApiClient, ApiError, errorMessage } from './api-client';
import { type CliIo, ExitCode, resolveConnection, UsageError } from './commands';

export const DEFAULT_COMPLIANCE_API_URL = 'http://127.0.0.1:8083';

export interface AuditVerifyOptions {
  api?: string;
  key?: string;
  json?: boolean;
  pageSize?: number;
}

interface AuditPage {
  entries: ChainedEntry[];
  nextPageToken: string;
  head: { seq: number; hash: string };
}

export interface AuditVerification {
  tenantId: string;
  entries: number;
  head: { seq: number; hash: string };
  problems: ChainProblem[];
}

/**
 * Reads the tenant's whole audit chain from the compliance API, page by page, and checks it here,
 * on the client: every entry's hash recomputed from its fields, every link, no gap, and the end
 * against the head the service records. The service is not trusted to say the chain is intact.
 */
export async function verifyAuditChain(client: ApiClient, pageSize: number): Promise<AuditVerification> {
  let verifier: ChainVerifier | undefined;
  let tenantId = '';
  let pageToken = '';
  let head: AuditPage['head'] | undefined;
  do {
    const page = await client.getJson<AuditPage>(
      `/v1/audit?pageSize=${pageSize}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
    );
    if (!verifier) {
      tenantId = page.entries[0]?.tenantId ?? '';
      verifier = new ChainVerifier(tenantId);
    }
    verifier.add(page.entries);
    pageToken = page.nextPageToken;
    head = page.head;
  } while (pageToken);
  const problems = verifier.finish(head ?? null);
  return { tenantId, entries: verifier.checked, head: head ?? { seq: 0, hash: '' }, problems };
}

export async function auditVerifyCommand(options: AuditVerifyOptions, io: CliIo): Promise<number> {
  try {
    const { baseUrl, apiKey } = resolveConnection(
      { api: options.api ?? io.env.APERTURE_COMPLIANCE_URL ?? DEFAULT_COMPLIANCE_API_URL, key: options.key },
      io.env,
    );
    const client = new ApiClient({ baseUrl, apiKey, ...(io.fetch && { fetch: io.fetch }) });
    const result = await verifyAuditChain(client, options.pageSize ?? 500);
    if (options.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.problems.length === 0)
      io.stdout.write(
        `audit chain intact: ${result.entries} entries, head seq ${result.head.seq} hash ${result.head.hash}\n`,
      );
    else {
      io.stdout.write(
        `audit chain BROKEN: ${result.problems.length} problem(s) in ${result.entries} entries\n`,
      );
      for (const problem of result.problems) io.stdout.write(`  seq ${problem.seq}: ${problem.problem}\n`);
    }
    return result.problems.length === 0 ? ExitCode.ok : ExitCode.auditBroken;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ApiError) {
      io.stderr.write(`error: ${errorMessage(error)}\n`);
      return ExitCode.fatal;
    }
    throw error;
  }
}

export function registerAudit(program: Command, io: () => CliIo, setExit: (code: number) => void): void {
  const audit = program.command('audit').description("The tenant's tamper-evident audit log.");
  audit
    .command('verify')
    .description(
      "Read the tenant's whole audit chain and check every hash and link here; exit 3 if it was altered.",
    )
    .option('--api <url>', 'base URL of the compliance API')
    .option('--key <key>', 'API key')
    .option('--json', 'print the result as one JSON object')
    .addHelpText(
      'after',
      `
--api defaults to $APERTURE_COMPLIANCE_URL, else ${DEFAULT_COMPLIANCE_API_URL}; --key to $APERTURE_API_KEY.
Exit status: 0 intact, 1 error (bad arguments, API unreachable), 3 the chain is broken (each problem printed).
Keep the printed head hash somewhere else: a later run that prints a different history for the same
seq shows a rewrite even by someone who could recompute every hash.`,
    )
    .action(async (options: AuditVerifyOptions) => setExit(await auditVerifyCommand(options, io())));
}
