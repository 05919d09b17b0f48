import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApiClient, ApiError, errorMessage } from './api-client';
import { type CliIo, ExitCode, resolveConnection, UsageError } from './commands';

/** The campaigns service's REST API (services/campaigns). */
export const DEFAULT_CAMPAIGNS_API_URL = 'http://127.0.0.1:8085';

interface ConnectionFlags {
  api?: string;
  key?: string;
  json?: boolean;
}

export interface CellProgress {
  cellId: string;
  category: string;
  region: string;
  timeOfDay: string;
  setting: string;
  device: string;
  orientation: string;
  tags: string[];
  target: number;
  cap: number;
  curated: number;
  full: boolean;
}

export interface CampaignProgress {
  campaignId: string;
  projectId: string;
  name: string;
  state: string;
  deadline: string;
  cells: CellProgress[];
  counted: number;
  surplus: number;
  target: number;
  achieved: number;
}

export interface CollectorRow {
  collectorId: string;
  name: string;
  state: string;
  uploaded: number;
  curated: number;
  rejected: number;
  acceptanceRate: number | null;
  duplicateRate: number | null;
  annotatorAgreement: number | null;
  rejectionReasons: Record<string, number>;
  flagged: boolean;
}

const percent = (value: number | null) => (value === null ? '—' : `${Math.round(value * 100)}%`);

function cellName(cell: CellProgress): string {
  const parts = [
    cell.category,
    cell.region,
    cell.timeOfDay,
    cell.setting,
    cell.device,
    cell.orientation,
    ...cell.tags.map((t) => `#${t}`),
  ];
  const named = parts.filter((part) => part !== '');
  return named.length > 0 ? named.join(' · ') : 'any image';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The per-cell progress as text: one row per cell, a bar of curated against the target. */
export function renderProgress(progress: CampaignProgress): string {
  const bar = (curated: number, target: number) => {
    const filled = Math.min(10, Math.round((10 * Math.min(curated, target)) / Math.max(1, target)));
    return `${'█'.repeat(filled)}${'░'.repeat(10 - filled)}`;
  };
  const rows = [
    ['cell', 'scenario', 'curated', 'target', 'cap', 'progress', ''],
    ...progress.cells.map((cell) => [
      cell.cellId,
      cellName(cell),
      String(cell.curated),
      String(cell.target),
      cell.cap > 0 ? String(cell.cap) : '—',
      bar(cell.curated, cell.target),
      cell.full ? 'full' : '',
    ]),
  ];
  return (
    `campaign ${progress.campaignId} "${progress.name}" (project ${progress.projectId}): ${progress.state}, ` +
    `deadline ${progress.deadline}\n` +
    `${table(rows)}\n` +
    `${progress.achieved}/${progress.target} of the targets; ${progress.counted} curated images counted, ${progress.surplus} surplus\n`
  );
}

export function renderCollectors(rows: CollectorRow[]): string {
  if (rows.length === 0) return 'no collector has uploaded to this campaign yet\n';
  const lines = [
    [
      'collector',
      'name',
      'state',
      'uploaded',
      'curated',
      'rejected',
      'accepted',
      'duplicates',
      'agreement',
      'top rejection',
      '',
    ],
    ...rows.map((row) => {
      const top = Object.entries(row.rejectionReasons).sort((a, b) => b[1] - a[1])[0];
      return [
        row.collectorId,
        row.name,
        row.state,
        String(row.uploaded),
        String(row.curated),
        String(row.rejected),
        percent(row.acceptanceRate),
        percent(row.duplicateRate),
        row.annotatorAgreement === null ? '—' : row.annotatorAgreement.toFixed(2),
        top ? `${top[0]} (${top[1]})` : '—',
        row.flagged ? 'FLAGGED' : '',
      ];
    }),
  ];
  return `${table(lines)}\n`;
}

function client(flags: ConnectionFlags, io: CliIo): ApiClient {
  const { baseUrl, apiKey } = resolveConnection(
    { api: flags.api ?? io.env.APERTURE_CAMPAIGNS_URL ?? DEFAULT_CAMPAIGNS_API_URL, key: flags.key },
    io.env,
  );
  return new ApiClient({ baseUrl, apiKey, ...(io.fetch && { fetch: io.fetch }) });
}

async function run(io: CliIo, work: () => Promise<number | void>): Promise<number> {
  try {
    return (await work()) ?? ExitCode.ok;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ApiError) {
      io.stderr.write(`error: ${errorMessage(error)}\n`);
      return ExitCode.fatal;
    }
    throw error;
  }
}

const print = (io: CliIo, flags: ConnectionFlags, value: unknown, text: string) =>
  io.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : text);

export interface WatchOptions {
  intervalMs: number;
  sleep: (ms: number) => Promise<void>;
}

/** Prints the progress, then again whenever it changes, until the campaign is no longer open. */
export async function watchProgress(
  api: ApiClient,
  campaignId: string,
  io: CliIo,
  flags: ConnectionFlags,
  options: WatchOptions,
): Promise<void> {
  let last = '';
  for (;;) {
    const progress = await api.getJson<CampaignProgress & { updatedAt?: string }>(
      `/v1/campaigns/${encodeURIComponent(campaignId)}`,
    );
    const fingerprint = JSON.stringify({ ...progress, updatedAt: '' });
    if (fingerprint !== last) {
      last = fingerprint;
      print(io, flags, progress, `${renderProgress(progress)}\n`);
    }
    if (progress.state !== 'open') return;
    await options.sleep(options.intervalMs);
  }
}

export function registerCampaign(program: Command, io: () => CliIo, setExit: (code: number) => void): void {
  const connection = (command: Command) =>
    command
      .option('--api <url>', 'base URL of the campaigns API')
      .option('--key <key>', 'API key')
      .option('--json', 'print JSON on stdout');
  const help = `
--api defaults to $APERTURE_CAMPAIGNS_URL, else ${DEFAULT_CAMPAIGNS_API_URL}; --key to $APERTURE_API_KEY.`;

  const campaign = program
    .command('campaign')
    .description('Collection campaigns: quota cells filled by verified collectors (services/campaigns).');

  connection(
    campaign
      .command('create')
      .description(
        'Open a campaign from a JSON file: {projectId, name, deadline, cells: [{category, region, timeOfDay, setting, device, orientation, tags, target, cap}], ...}.',
      )
      .argument('<file>', 'the campaign as JSON')
      .option('-p, --project <id>', "the project (overrides the file's projectId)"),
  )
    .addHelpText('after', `${help}\n\nExample:\n  aperture campaign create shelves.json --project prj_123`)
    .action(async (file: string, flags: ConnectionFlags & { project?: string }) => {
      setExit(
        await run(io(), async () => {
          let spec: Record<string, unknown>;
          try {
            spec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
          } catch (error) {
            throw new UsageError(`cannot read ${file} as JSON: ${(error as Error).message}`);
          }
          const created = await client(flags, io()).postJson<CampaignProgress>('/v1/campaigns', {
            ...spec,
            ...(flags.project && { projectId: flags.project }),
          });
          print(io(), flags, created, renderProgress(created));
        }),
      );
    });

  connection(
    campaign
      .command('status')
      .description("A campaign's per-cell progress (curated images only count).")
      .argument('<id>', 'campaign id')
      .option('-w, --watch', 'print it again at each change until the campaign is complete or closed'),
  )
    .addHelpText('after', help)
    .action(async (id: string, flags: ConnectionFlags & { watch?: boolean }) => {
      setExit(
        await run(io(), async () => {
          const api = client(flags, io());
          if (flags.watch) {
            await watchProgress(api, id, io(), flags, {
              intervalMs: 2000,
              sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
            });
            return;
          }
          const progress = await api.getJson<CampaignProgress>(`/v1/campaigns/${encodeURIComponent(id)}`);
          print(io(), flags, progress, renderProgress(progress));
        }),
      );
    });

  connection(
    campaign
      .command('collectors')
      .description(
        "Per-collector quality in a campaign: acceptance, duplicates, annotator agreement, rejection reasons; flagged below the campaign's bar.",
      )
      .argument('<id>', 'campaign id'),
  )
    .addHelpText('after', help)
    .action(async (id: string, flags: ConnectionFlags) => {
      setExit(
        await run(io(), async () => {
          const answer = await client(flags, io()).getJson<{ collectors: CollectorRow[] }>(
            `/v1/campaigns/${encodeURIComponent(id)}/collectors`,
          );
          print(io(), flags, answer, renderCollectors(answer.collectors));
        }),
      );
    });

  connection(
    campaign
      .command('close')
      .description('Close a campaign: no more uploads.')
      .argument('<id>', 'campaign id'),
  )
    .addHelpText('after', help)
    .action(async (id: string, flags: ConnectionFlags) => {
      setExit(
        await run(io(), async () => {
          const closed = await client(flags, io()).postJson<CampaignProgress>(
            `/v1/campaigns/${encodeURIComponent(id)}/close`,
          );
          print(io(), flags, closed, renderProgress(closed));
        }),
      );
    });

  const collector = program
    .command('collector')
    .description("The tenant's collectors: accounts, tokens and verification state.");
  connection(
    collector
      .command('add')
      .description('Create a collector (state pending); prints its token once: give it to the collector.')
      .argument('<name>', 'display name')
      .option('--region <region>', 'where they collect (assignments offer the cells of their region)'),
  )
    .addHelpText('after', help)
    .action(async (name: string, flags: ConnectionFlags & { region?: string }) => {
      setExit(
        await run(io(), async () => {
          const created = await client(flags, io()).postJson<{
            collector: { collectorId: string; state: string };
            token: string;
          }>('/v1/collectors', { name, ...(flags.region && { region: flags.region }) });
          print(
            io(),
            flags,
            created,
            `collector ${created.collector.collectorId} (${created.collector.state})\ntoken ${created.token}\n`,
          );
        }),
      );
    });
  connection(collector.command('list').description('List the collectors and their states.'))
    .addHelpText('after', help)
    .action(async (flags: ConnectionFlags) => {
      setExit(
        await run(io(), async () => {
          const answer = await client(flags, io()).getJson<{
            collectors: Array<{ collectorId: string; name: string; region: string; state: string }>;
          }>('/v1/collectors');
          const rows = [
            ['collector', 'name', 'region', 'state'],
            ...answer.collectors.map((c) => [c.collectorId, c.name, c.region || '—', c.state]),
          ];
          print(io(), flags, answer, `${table(rows)}\n`);
        }),
      );
    });
  for (const [verb, state] of [
    ['verify', 'verified'],
    ['suspend', 'suspended'],
  ] as const) {
    connection(
      collector
        .command(verb)
        .description(`Set a collector's state to ${state} (as the operator).`)
        .argument('<id>', 'collector id'),
    )
      .addHelpText('after', help)
      .action(async (id: string, flags: ConnectionFlags) => {
        setExit(
          await run(io(), async () => {
            const updated = await client(flags, io()).postJson<{ collectorId: string; state: string }>(
              `/v1/collectors/${encodeURIComponent(id)}/state`,
              { state },
            );
            print(io(), flags, updated, `collector ${updated.collectorId} is ${updated.state}\n`);
          }),
        );
      });
  }
}
