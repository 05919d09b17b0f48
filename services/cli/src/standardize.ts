// aperture standardize: brings local images into an output spec, on this machine, with the same
// code as the standardize service (@aperture/standardization). The only command of the CLI that
// uses an @aperture/* library: it is loaded when the command runs, after the aliases resolve.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';

import { collectFiles, PathError } from './files';
import type { TextStream } from './progress';

export interface StandardizeCommandOptions {
  /** A JSON file: the standardize section of a project policy, or a whole policy. */
  spec?: string;
  out: string;
  json?: boolean;
}

export interface StandardizeIo {
  stdout: TextStream;
  stderr: TextStream;
}

/** One line of `--json` output. */
export type StandardizeLine =
  | {
      file: string;
      output: string;
      width: number;
      height: number;
      format: string;
      bytes: number;
      sha256: string;
      operations: Array<{ name: string; params: Record<string, string> }>;
    }
  | { file: string; error: string };

export function registerStandardize(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('standardize')
    .description(
      'Bring local images into an output spec (size, fit, format, sRGB, no personal metadata), as the pipeline does.',
    )
    .argument('<paths...>', 'files and folders (folders are walked recursively; dotfiles are skipped)')
    .requiredOption('-o, --out <dir>', 'folder to write the outputs into (created if missing)')
    .option('--spec <file>', 'JSON spec: the "standardize" section of a project policy (or a whole policy)')
    .option('--json', 'print one JSON object per input on stdout')
    .addHelpText(
      'after',
      `
Inputs are processed in path order; each output is named after its input with the format's
extension (photo.HEIC -> photo.jpg), suffixed -1, -2, ... when two inputs would share a name.
An input that cannot be processed is reported ({"file", "error"} with --json) and skipped.

Exit status: 0 it ran (even if some inputs were refused), 1 bad arguments or spec.

Example:
  aperture standardize --spec spec.json --out ./std --json ./photos | jq .sha256`,
    )
    .action(async (paths: string[], options: StandardizeCommandOptions) => {
      setExitCode(
        await standardizeCommand(paths, options, { stdout: process.stdout, stderr: process.stderr }),
      );
    });
}

export async function standardizeCommand(
  paths: readonly string[],
  options: StandardizeCommandOptions,
  io: StandardizeIo,
): Promise<number> {
  registerAliasesWhenCompiled();
  const { standardizeImage } = await import('@aperture/standardization');
  let spec: Awaited<ReturnType<typeof readSpec>>;
  let files: Awaited<ReturnType<typeof collectFiles>>;
  try {
    spec = await readSpec(options.spec);
    files = (await collectFiles(paths)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    await mkdir(options.out, { recursive: true });
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }

  const taken = new Set<string>();
  for (const file of files) {
    let line: StandardizeLine;
    try {
      const result = await standardizeImage(await readFile(file.path), spec);
      const output = join(options.out, outputName(file.path, result.extension, taken));
      await writeFile(output, result.bytes);
      line = {
        file: file.path,
        output,
        width: result.result.width,
        height: result.result.height,
        format: result.result.format,
        bytes: result.bytes.length,
        sha256: result.result.sha256,
        operations: result.result.operations,
      };
    } catch (error) {
      line = { file: file.path, error: error instanceof Error ? error.message : String(error) };
    }
    io.stdout.write(options.json ? `${JSON.stringify(line)}\n` : describe(line));
  }
  return 0;
}

/** The spec file's standardize section over the defaults, validated like a project policy. */
async function readSpec(path: string | undefined) {
  const { resolvePolicy } = await import('@aperture/policy');
  let section: unknown;
  if (path !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new PathError(
        `cannot read the spec ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const isPolicy = typeof parsed === 'object' && parsed !== null && 'standardize' in parsed;
    section = isPolicy ? (parsed as { standardize: unknown }).standardize : parsed;
  }
  const { policy, errors } = resolvePolicy(section === undefined ? {} : { standardize: section });
  if (errors.length > 0)
    throw new PathError(
      `invalid spec ${path}: ${errors.map((e) => `${e.field.replace(/^standardize\./, '')} ${e.message}`).join('; ')}`,
    );
  // One output per input: the CLI writes no thumbnails.
  return { ...policy.standardize, thumbnailSize: 0 };
}

/** `photo.HEIC` → `photo.jpg`; `photo-1.jpg`, `photo-2.jpg`, ... for later inputs of the same name. */
export function outputName(input: string, extension: string, taken: Set<string>): string {
  const stem = basename(input, extname(input)) || 'image';
  let name = `${stem}.${extension}`;
  for (let n = 1; taken.has(name); n++) name = `${stem}-${n}.${extension}`;
  taken.add(name);
  return name;
}

function describe(line: StandardizeLine): string {
  if ('error' in line) return `${line.file}: ${line.error}\n`;
  return `${line.file} -> ${line.output} (${line.width}x${line.height} ${line.format}, ${line.bytes} bytes)\n`;
}

/**
 * Compiled, this file runs from dist/services/cli/src, where the @aperture/* aliases resolve only
 * through scripts/lib/register-aliases.cjs (under Jest or ts the path mapping does it).
 */
function registerAliasesWhenCompiled(): void {
  if (!__filename.endsWith('.js')) return;
  const register = resolve(__dirname, '../../../../scripts/lib/register-aliases.cjs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (existsSync(register)) require(register);
}
