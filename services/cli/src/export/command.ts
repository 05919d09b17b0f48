import { parseWhere } from './where';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ApiClient, ApiError, errorMessage } from '../api-client';
import { type CliIo, ExitCode, resolveConnection, UsageError } from '../commands';
import type { TextStream } from '../progress';
import { EXPORT_FORMATS, type ExportFormat, type ExportProgress, exportDataset } from './export';
import { ExportFormatError, SPLITS, type Split } from './formats';

export const DEFAULT_ANNOTATION_API_URL = 'http://127.0.0.1:8084';

export interface ExportCommandOptions {
  project: string;
  format: string;
  out: string;
  split?: string[];
  where?: string[];
  api?: string;
  key?: string;
  json?: boolean;
}

/** A live bar on a terminal: records scanned of the project's total, images written. */
class BarExportProgress implements ExportProgress {
  private readonly bar: SingleBar;
  constructor(out: NodeJS.WritableStream) {
    this.bar = new SingleBar({
      stream: out,
      format: ' {bar} {value}/{total} curated records | {written} images written | ETA {eta_formatted}',
      barsize: 30,
      hideCursor: true,
    });
  }
  start(total: number): void {
    this.bar.start(total, 0, { written: 0 });
  }
  update(scanned: number, written: number): void {
    this.bar.update(scanned, { written });
  }
  finish(): void {
    this.bar.stop();
  }
}

/** Plain lines (CI logs, files): at most one a second, and the last one. */
class LineExportProgress implements ExportProgress {
  private total = 0;
  private last = Number.NEGATIVE_INFINITY;
  private state = { scanned: 0, written: 0 };
  constructor(private readonly out: TextStream) {}
  start(total: number): void {
    this.total = total;
    this.out.write(`exporting ${total} curated records\n`);
  }
  update(scanned: number, written: number): void {
    this.state = { scanned, written };
    if (Date.now() - this.last < 1000) return;
    this.last = Date.now();
    this.out.write(`${scanned}/${this.total} records, ${written} images written\n`);
  }
  finish(): void {
    this.out.write(`${this.state.scanned}/${this.total} records, ${this.state.written} images written\n`);
  }
}

export async function exportCommand(options: ExportCommandOptions, io: CliIo): Promise<number> {
  try {
    if (!EXPORT_FORMATS.includes(options.format as ExportFormat))
      throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
    const splits = (options.split ?? []).flatMap((value) => value.split(',')).map((value) => value.trim());
    const unknown = splits.find((split) => !SPLITS.includes(split as Split));
    if (unknown !== undefined)
      throw new UsageError(`--split takes train, val or test, not ${JSON.stringify(unknown)}`);
    const { baseUrl, apiKey } = resolveConnection(
      { api: options.api ?? io.env.APERTURE_ANNOTATION_URL ?? DEFAULT_ANNOTATION_API_URL, key: options.key },
      io.env,
    );
    const client = new ApiClient({ baseUrl, apiKey, ...(io.fetch && { fetch: io.fetch }) });
    const progress = io.stderrIsTTY
      ? new BarExportProgress(io.stderr as NodeJS.WritableStream)
      : new LineExportProgress(io.stderr);
    const summary = await exportDataset(
      client,
      {
        projectId: options.project,
        format: options.format as ExportFormat,
        out: options.out,
        splits: splits as Split[],
        where: parseWhere(options.where ?? []),
      },
      progress,
    );
    if (options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      io.stdout.write(
        `exported ${summary.images} images (${summary.labels} labels; train ${summary.bySplit.train}, ` +
          `val ${summary.bySplit.val}, test ${summary.bySplit.test}) as ${summary.format} to ${summary.out}\n`,
      );
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ApiError || error instanceof ExportFormatError) {
      io.stderr.write(`error: ${errorMessage(error)}\n`);
      return ExitCode.fatal;
    }
    throw error;
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerExport(program: Command, io: () => CliIo, setExit: (code: number) => void): void {
  program
    .command('export')
    .description("Write a project's curated images and labels as a COCO, YOLO or JSONL dataset.")
    .requiredOption('-p, --project <id>', 'the project')
    .requiredOption('-f, --format <format>', 'coco, yolo (Ultralytics layout with data.yaml) or jsonl')
    .requiredOption('-o, --out <dir>', 'output folder (created)')
    .option('--split <split>', 'only train, val or test; repeat it or separate with commas', collect)
    .option(
      '--where <axis=bucket>',
      'only images in a content bucket, e.g. timeOfDay=night or viewpoint="rear view",profile; repeat for more axes',
      collect,
    )
    .option('--api <url>', 'base URL of the annotation-router API')
    .option('--key <key>', 'API key')
    .option('--json', 'print the summary as one JSON object on stdout')
    .addHelpText(
      'after',
      `
--api defaults to $APERTURE_ANNOTATION_URL, else ${DEFAULT_ANNOTATION_API_URL}; --key to $APERTURE_API_KEY.

Layouts: coco: images/<split>/, annotations/instances_<split>.json; yolo: images/<split>/,
labels/<split>/*.txt, data.yaml (a classification project: <split>/<class>/); jsonl: images/<split>/,
manifest.jsonl. Coordinates: pixels of the exported image (COCO), normalised 0..1 (YOLO).

Examples:
  aperture export --project prj_123 --format coco --out ./dataset
  aperture export -p prj_123 -f yolo -o ./yolo --split train,val`,
    )
    .action(async (options: ExportCommandOptions) => {
      setExit(await exportCommand(options, io()));
    });
}
