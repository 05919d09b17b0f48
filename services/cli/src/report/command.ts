import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiClient, ApiError, errorMessage } from '../api-client';
import { type CliIo, ExitCode, resolveConnection, UsageError } from '../commands';
import { DEFAULT_ANNOTATION_API_URL } from '../export/command';
import { type DatasetReport, renderReportHtml } from './render';

export interface ReportCommandOptions {
  project: string;
  out?: string;
  batch?: string;
  json?: boolean;
  api?: string;
  key?: string;
}

/** Chart.js's UMD build, inlined into the page so that it needs no network. */
export function chartJsSource(): string {
  // chart.js exports no subpath for its UMD file: it sits beside the CommonJS entry, in dist/.
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

export async function reportCommand(options: ReportCommandOptions, io: CliIo): Promise<number> {
  try {
    if (!options.out && !options.json) throw new UsageError('give --out FILE.html, --json, or both');
    const { baseUrl, apiKey } = resolveConnection(
      { api: options.api ?? io.env.APERTURE_ANNOTATION_URL ?? DEFAULT_ANNOTATION_API_URL, key: options.key },
      io.env,
    );
    const client = new ApiClient({
      baseUrl,
      apiKey,
      requestTimeoutMs: 300_000,
      ...(io.fetch && { fetch: io.fetch }),
    });
    const query = options.batch ? `?batchId=${encodeURIComponent(options.batch)}` : '';
    const report = await client.getJson<DatasetReport>(
      `/v1/projects/${encodeURIComponent(options.project)}/report${query}`,
    );
    if (options.out) {
      const out = resolve(options.out);
      await writeFile(out, renderReportHtml(report, chartJsSource()));
      io.stderr.write(`wrote ${out}\n`);
    }
    if (options.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    const unmet = [...report.targets, ...(report.coverage?.targets ?? [])].filter((target) => !target.met);
    for (const target of unmet) io.stderr.write(`target not met: ${target.message}\n`);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ApiError) {
      io.stderr.write(`error: ${errorMessage(error)}\n`);
      return ExitCode.fatal;
    }
    throw error;
  }
}

export function registerReport(program: Command, io: () => CliIo, setExit: (code: number) => void): void {
  program
    .command('report')
    .description(
      "A project's (or batch's) dataset report: one self-contained HTML page with charts, or its JSON.",
    )
    .requiredOption('-p, --project <id>', 'the project')
    .option('-o, --out <file>', 'write the HTML page here')
    .option('--batch <id>', 'only this batch of the project')
    .option('--json', 'print the report JSON on stdout')
    .option('--api <url>', 'base URL of the annotation-router API')
    .option('--key <key>', 'API key')
    .addHelpText(
      'after',
      `
--api defaults to $APERTURE_ANNOTATION_URL, else ${DEFAULT_ANNOTATION_API_URL}; --key to $APERTURE_API_KEY.
Unmet diversity targets of the project's policy (dataset.targets) are flagged on the page and on stderr.

Example:
  aperture report --project prj_123 --out report.html`,
    )
    .action(async (options: ReportCommandOptions) => {
      setExit(await reportCommand(options, io()));
    });
}
