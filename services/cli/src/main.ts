#!/usr/bin/env node
// aperture: the client CLI of the ingest REST API. This file only parses arguments (commander);
// the commands are in commands.ts.
import './aliases';
import { Command, InvalidArgumentError } from 'commander';

import { assessCommand, PolicyFileError } from './assess';
import { registerAudit } from './audit';
import { registerCampaign } from './campaign';
import { registerDlq } from './dlq';
import { batchCommand, DEFAULT_API_URL, uploadCommand, type CliIo } from './commands';
import { PathError } from './files';
import { registerExport } from './export/command';
import { registerRedact } from './redact';
import { registerReport } from './report/command';
import { registerStandardize } from './standardize';

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    }
    return n;
  };
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}

/** --consent may be repeated, and each value may list several ids separated by commas. */
function collectIds(value: string, previous: string[] | undefined): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0) throw new InvalidArgumentError('expected a consent id');
  return [...(previous ?? []), ...ids];
}

function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY,
  };
}

const connectionHelp = `
Connection:
  --api defaults to $APERTURE_API_URL, else ${DEFAULT_API_URL}.
  --key defaults to $APERTURE_API_KEY (one of them is required); it is sent as the x-api-key header.`;

export function buildProgram(): Command {
  const program = new Command('aperture')
    .description(
      'Client of the Aperture ingest API: upload batches of images and follow their curation; standardize images locally.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)');

  program
    .command('upload')
    .description(
      'Create one batch, upload every file of PATH... into it, close it, and wait until it is curated.',
    )
    .argument('<paths...>', 'files and folders (folders are walked recursively; dotfiles are skipped)')
    .requiredOption('-p, --project <id>', 'project to create the batch in')
    .option('--api <url>', 'base URL of the ingest API')
    .option('--key <key>', 'API key')
    .option('--region <region>', 'declared region of the images (batch declarations)')
    .option('--consent <id>', 'declared consent id; repeat it or separate ids with commas', collectIds)
    .option('-c, --concurrency <n>', 'files uploaded in parallel', positiveInt(64), 4)
    .option('--timeout <seconds>', 'how long to wait for the batch to complete', positiveSeconds, 600)
    .option('--no-follow', 'return once the batch is closed, without waiting for curation')
    .option('--json', 'print one JSON object with the summary on stdout (progress stays on stderr)')
    .option('--campaign <id>', 'upload to this collection campaign (of the same project)')
    .option('--category <class>', "campaign: the images' category (a class of the label schema)")
    .option('--setting <where>', 'campaign: indoor or outdoor')
    .option('--tags <list>', 'campaign: comma-separated tags')
    .option('--collector-token <token>', 'campaign: the collector token (default $APERTURE_COLLECTOR_TOKEN)')
    .addHelpText(
      'after',
      `${connectionHelp}

Exit status: 0 the batch completed (or was closed, with --no-follow), 1 a fatal error (bad
arguments, authentication, API unreachable after retries, no file accepted), 2 the batch did not
complete before --timeout.

Examples:
  aperture upload --project prj_123 ./photos
  aperture upload -p prj_123 --region eu --consent c1 --consent c2 a.jpg b.png
  aperture upload -p prj_123 --json --timeout 120 ./photos | jq .curated
  aperture upload -p prj_123 --campaign cmp_1 --category shelf --collector-token ctk_... ./shots`,
    )
    .action(async (paths: string[], options: Parameters<typeof uploadCommand>[1]) => {
      process.exitCode = await uploadCommand(paths, options, processIo());
    });

  program
    .command('batch')
    .description("Show a batch's state, counts and rejection reasons.")
    .argument('<id>', 'batch id')
    .option('--api <url>', 'base URL of the ingest API')
    .option('--key <key>', 'API key')
    .option('--json', 'print the batch as the API returns it (JSON) on stdout')
    .addHelpText('after', `${connectionHelp}\n\nExample:\n  aperture batch bat_123 --json`)
    .action(async (id: string, options: Parameters<typeof batchCommand>[1]) => {
      process.exitCode = await batchCommand(id, options, processIo());
    });

  program
    .command('assess')
    .description('Judge local image files as the quality stage would, without a server.')
    .argument('<paths...>', 'files and folders (folders walked recursively in name order; dotfiles skipped)')
    .option(
      '--policy <file>',
      'a JSON project policy, or just its quality section (default: the documented defaults)',
    )
    .option('--json', 'one JSON object per file per line on stdout')
    .addHelpText(
      'after',
      `
Files are judged in the order given, against one duplicate index for the whole run: a file that
repeats an earlier one (pixel-identical, or the same picture edited) is rejected as a duplicate of it.

With --json each line is {"file", "verdict": "accepted"|"rejected", "reasons": [codes],
"messages": [...], "format", "width", "height", "frames", "metrics": {...}, "phash",
"duplicateOf"?, "distance"?}.

Exit status: 0 it ran (rejections included), 1 a usage error (no such path, bad policy file).

Examples:
  aperture assess ../shared/corpus/cameras/jpg
  aperture assess --policy policy.json --json photos/ | jq -c 'select(.verdict == "rejected")'`,
    )
    .action(async (paths: string[], options: Parameters<typeof assessCommand>[1]) => {
      try {
        process.exitCode = await assessCommand(paths, options, processIo());
      } catch (error) {
        if (!(error instanceof PathError || error instanceof PolicyFileError)) throw error;
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 1;
      }
    });
  registerStandardize(program, (code) => (process.exitCode = code));
  registerRedact(program, (code) => (process.exitCode = code));
  registerExport(program, processIo, (code) => (process.exitCode = code));
  registerReport(program, processIo, (code) => (process.exitCode = code));
  registerCampaign(program, processIo, (code) => (process.exitCode = code));
  registerDlq(program, (code) => (process.exitCode = code), InvalidArgumentError);
  registerAudit(program, processIo, (code) => (process.exitCode = code));

  return program;
}

void buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
