// aperture redact: detects faces and licence plates in local images and writes redacted copies,
// with the function the compliance stage uses (@aperture/redaction's detectAndRedactPixels, the
// same defaults and pass plan), for people checking a policy before they upload.
// The library (and its model) is loaded when the command runs, after the aliases resolve.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Command } from 'commander';

import { collectFiles, PathError } from './files';
import type { TextStream } from './progress';
import { outputName } from './standardize';

export interface RedactCommandOptions {
  /** A JSON project policy; its compliance.redaction section is used. */
  policy?: string;
  out: string;
  json?: boolean;
}

export interface RedactIo {
  stdout: TextStream;
  stderr: TextStream;
}

export interface JsonBox {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** The models that produced the boxes, as the compliance stage records them. */
export interface JsonModels {
  faces: string;
  /** Empty when the policy turned plates off. */
  plates: string;
}

/** One line of `--json` output. */
export type RedactLine =
  | { file: string; output: string; faces: JsonBox[]; plates: JsonBox[]; models: JsonModels }
  | { file: string; error: string };

/** The settings a --policy file may give (compliance.redaction), all optional. */
export interface RedactSettings {
  method?: 'pixelate' | 'blur' | 'fill';
  marginRatio?: number;
  minScore?: number;
  minFaceSize?: number;
  plates?: boolean;
}

export class PolicySettingsError extends Error {
  override readonly name = 'PolicySettingsError';
}

const METHODS = ['pixelate', 'blur', 'fill'] as const;

/**
 * compliance.redaction of a project policy document: `method` (pixelate | blur | fill),
 * `marginRatio` (0..2, of the box size on each side), `minScore` (the face detector's threshold,
 * 0..1 exclusive), `minFaceSize` (16..4096 px), `plates` (true | false). Other fields, in that
 * section or elsewhere, are ignored; bad values are named.
 */
export function redactSettings(document: unknown): RedactSettings {
  const section = at(document, 'compliance', 'redaction');
  if (section === undefined) return {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new PolicySettingsError('compliance.redaction must be an object');
  }
  const { method, marginRatio, minScore, minFaceSize, plates } = section as Record<string, unknown>;
  const settings: RedactSettings = {};
  if (method !== undefined) {
    if (!METHODS.includes(method as (typeof METHODS)[number])) {
      throw new PolicySettingsError(`compliance.redaction.method must be one of ${METHODS.join(', ')}`);
    }
    settings.method = method as RedactSettings['method'];
  }
  if (marginRatio !== undefined) {
    if (typeof marginRatio !== 'number' || !(marginRatio >= 0 && marginRatio <= 2)) {
      throw new PolicySettingsError('compliance.redaction.marginRatio must be a number from 0 to 2');
    }
    settings.marginRatio = marginRatio;
  }
  if (minScore !== undefined) {
    if (typeof minScore !== 'number' || !(minScore > 0 && minScore < 1)) {
      throw new PolicySettingsError('compliance.redaction.minScore must be a number between 0 and 1');
    }
    settings.minScore = minScore;
  }
  if (minFaceSize !== undefined) {
    if (
      typeof minFaceSize !== 'number' ||
      !Number.isInteger(minFaceSize) ||
      minFaceSize < 16 ||
      minFaceSize > 4096
    ) {
      throw new PolicySettingsError('compliance.redaction.minFaceSize must be an integer from 16 to 4096');
    }
    settings.minFaceSize = minFaceSize;
  }
  if (plates !== undefined) {
    if (typeof plates !== 'boolean')
      throw new PolicySettingsError('compliance.redaction.plates must be true or false');
    settings.plates = plates;
  }
  return settings;
}

function at(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

async function loadSettings(path: string | undefined): Promise<RedactSettings> {
  if (path === undefined) return {};
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PolicySettingsError(
      `cannot read the policy ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return redactSettings(document);
  } catch (error) {
    throw new PolicySettingsError(`the policy ${path} is not valid: ${(error as Error).message}`);
  }
}

export function registerRedact(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('redact')
    .description(
      'Detect faces and licence plates in local images and write copies with every one irreversibly redacted.',
    )
    .argument('<paths...>', 'files and folders (folders are walked recursively; dotfiles are skipped)')
    .requiredOption('-o, --out <dir>', 'folder to write the redacted copies into (created if missing)')
    .option('--policy <file>', 'a JSON project policy: its compliance.redaction section is used')
    .option('--json', 'print one JSON object per input on stdout')
    .addHelpText(
      'after',
      `
Each output keeps the input's name, format and dimensions, upright (the EXIF orientation applied,
metadata dropped); HEIC is written as JPEG (name.jpg). Two inputs of the same name get -1, -2, ...

--policy reads {"compliance": {"redaction": {"method": "pixelate"|"blur"|"fill",
"marginRatio": 0.25, "minScore": 0.5, "minFaceSize": 16, "plates": true}}}; other fields are
ignored, all are optional (the defaults shown are the compliance stage's).

With --json each line is {"file", "output", "faces": [{"x", "y", "width", "height", "score"}],
"plates": [...], "models": {"faces", "plates"}} (boxes in the input's upright pixels; models as
"name@version", plates "" when the policy turned them off), or {"file", "error"} for an input
that is not a readable image.

Exit status: 0 it ran (even if some inputs were refused), 1 bad arguments or policy, or a
missing or damaged model file (named in the error; scripts/models installs it).

Example:
  aperture redact --out ./redacted --json ./photos | jq -c '{file, faces: (.faces | length)}'`,
    )
    .action(async (paths: string[], options: RedactCommandOptions) => {
      setExitCode(await redactCommand(paths, options, { stdout: process.stdout, stderr: process.stderr }));
    });
}

export async function redactCommand(
  paths: readonly string[],
  options: RedactCommandOptions,
  io: RedactIo,
): Promise<number> {
  let settings: RedactSettings;
  let files: Awaited<ReturnType<typeof collectFiles>>;
  try {
    settings = await loadSettings(options.policy);
    if (paths.length === 0) throw new PathError('no PATH given: name the files or folders to redact');
    files = (await collectFiles(paths)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const out = await stat(options.out).catch(() => undefined);
    if (out && !out.isDirectory()) throw new PathError(`--out ${options.out} is not a folder`);
    await mkdir(options.out, { recursive: true });
  } catch (error) {
    if (!(error instanceof PathError || error instanceof PolicySettingsError)) throw error;
    io.stderr.write(`error: ${error.message}\n`);
    return 1;
  }

  const { createPrivacyDetector, detectAndRedact } = await import('@aperture/redaction');
  let detector: Awaited<ReturnType<typeof createPrivacyDetector>>;
  try {
    detector = createPrivacyDetector();
    await detector.ready;
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const detection = {
    ...(settings.minScore !== undefined && { minScore: settings.minScore }),
    ...(settings.minFaceSize !== undefined && { minFaceSize: settings.minFaceSize }),
    ...(settings.plates !== undefined && { plates: settings.plates }),
  };
  const redaction = {
    ...(settings.method && { method: settings.method }),
    ...(settings.marginRatio !== undefined && { marginRatio: settings.marginRatio }),
  };
  const taken = new Set<string>();
  const outDir = resolve(options.out);
  try {
    for (const file of files) {
      let line: RedactLine;
      try {
        const { image, detection: found } = await detectAndRedact(
          await readFile(file.path),
          detector,
          detection,
          redaction,
        );
        // The input's own extension (its case too) unless the format changed (HEIC -> jpg).
        const own = extname(file.path).slice(1);
        const sameFormat = image.format === formatOf(own);
        const output = join(options.out, outputName(file.path, sameFormat ? own : image.extension, taken));
        if (resolve(output) === resolve(file.path))
          throw new Error(`refusing to overwrite the input (--out is ${outDir})`);
        await writeFile(output, image.bytes);
        line = {
          file: file.path,
          output,
          faces: found.faces.map(jsonBox),
          plates: found.plates.map(jsonBox),
          models: {
            faces: `${found.models.faces.name}@${found.models.faces.version}`,
            plates: found.models.plates ? `${found.models.plates.name}@${found.models.plates.version}` : '',
          },
        };
      } catch (error) {
        line = { file: file.path, error: error instanceof Error ? error.message : String(error) };
      }
      io.stdout.write(options.json ? `${JSON.stringify(line)}\n` : describe(line));
    }
  } finally {
    await detector.close();
  }
  return 0;
}

function jsonBox({ x, y, width, height, score }: JsonBox): JsonBox {
  return { x, y, width, height, score };
}

/** The format an extension names, for deciding whether an output can keep the input's name. */
function formatOf(extension: string): string | undefined {
  return EXTENSION_FORMATS[extension.toLowerCase()];
}

const EXTENSION_FORMATS: Record<string, string> = {
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tif: 'tiff',
  tiff: 'tiff',
  avif: 'avif',
};

function describe(line: RedactLine): string {
  if ('error' in line) return `${line.file}: ${line.error}\n`;
  const n = line.faces.length;
  const p = line.plates.length;
  return `${line.file} -> ${line.output} (${n} face${n === 1 ? '' : 's'}, ${p} plate${p === 1 ? '' : 's'} redacted)\n`;
}
