// `aperture assess`: the quality stage's judgement on local files, without a server. Files are
// assessed one at a time in the order given (folders walked in name order) against one duplicate
// index for the whole run, exactly as the stage judges a project's stream of uploads.
import {
  assessImage,
  deliveredLongSide,
  MemoryDuplicateIndex,
  type Assessment,
} from '@aperture/image-quality';
import { defaultPolicy, resolvePolicy, type QualityPolicy } from '@aperture/policy';
import { readFile, stat } from 'node:fs/promises';
import { collectFiles } from './files';
import type { TextStream } from './progress';

export interface AssessCommandOptions {
  policy?: string;
  json?: boolean;
}

export interface AssessIo {
  stdout: TextStream;
  stderr: TextStream;
  stderrIsTTY?: boolean;
}

/** Files larger than this are refused as too_large without being read (nothing real comes close). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
}

/** What the assessment needs of a project's policy. */
export interface AssessPolicy {
  quality: QualityPolicy;
  /** The long side its standardize spec delivers: blur is judged at that size. */
  deliveredLongSide: number;
}

/** The quality policy of a --policy file (see loadAssessPolicy). */
export async function loadQualityPolicy(path: string | undefined): Promise<QualityPolicy> {
  return (await loadAssessPolicy(path)).quality;
}

/**
 * The policy of a --policy file: a whole project policy (`{"quality": {...}, "standardize": ...}`)
 * or just its quality section; missing settings take the documented defaults, bad ones are all named.
 */
export async function loadAssessPolicy(path: string | undefined): Promise<AssessPolicy> {
  const of = (policy: typeof defaultPolicy): AssessPolicy => ({
    quality: policy.quality,
    deliveredLongSide: deliveredLongSide(policy.standardize),
  });
  if (!path) return of(defaultPolicy);
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new PolicyFileError(`cannot read the policy ${path}: ${(error as Error).message}`);
  }
  const isWholePolicy =
    typeof document === 'object' && document !== null && !Array.isArray(document) && 'quality' in document;
  const wrapped = isWholePolicy ? document : { quality: document };
  const { policy, errors } = resolvePolicy(wrapped);
  if (errors.length > 0) {
    throw new PolicyFileError(
      `the policy ${path} is not valid:\n${errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`,
    );
  }
  return of(policy);
}

export interface AssessLine {
  file: string;
  verdict: 'accepted' | 'rejected';
  reasons: string[];
  messages: string[];
  format?: string;
  width?: number;
  height?: number;
  frames?: number;
  metrics: Record<string, number>;
  phash?: string;
  duplicateOf?: string;
  distance?: number;
}

export function assessLine(file: string, assessment: Assessment): AssessLine {
  const result = assessment.result;
  const line: AssessLine = {
    file,
    verdict: assessment.accepted ? 'accepted' : 'rejected',
    reasons: assessment.reasons.map((r) => r.code),
    messages: assessment.reasons.map((r) => r.message),
    metrics: { ...(result?.metrics ?? {}) },
  };
  if (result) {
    Object.assign(line, {
      format: result.format,
      width: result.width,
      height: result.height,
      frames: result.frames,
    });
    if (result.fingerprint[0]) line.phash = result.fingerprint[0];
    if (result.duplicateOf) {
      line.duplicateOf = result.duplicateOf;
      line.distance = result.duplicateDistance;
    }
  }
  return line;
}

/** Runs the assessment; returns the exit code (0 when it ran, rejections included). */
export async function assessCommand(
  paths: string[],
  options: AssessCommandOptions,
  io: AssessIo,
): Promise<number> {
  const policy = await loadAssessPolicy(options.policy);
  const files = await collectFiles(paths);
  const index = new MemoryDuplicateIndex();
  const lines: AssessLine[] = [];
  const width = Math.max(4, ...files.map((f) => f.path.length));
  if (!options.json && files.length > 0) io.stdout.write(`${tableHeader(width)}\n`);
  for (const [position, file] of files.entries()) {
    const assessment = await assessFile(file.path, position, policy, index);
    const line = assessLine(file.path, assessment);
    lines.push(line);
    io.stdout.write(`${options.json ? JSON.stringify(line) : tableRow(line, width)}\n`);
    if (io.stderrIsTTY && !options.json && files.length > 20) {
      io.stderr.write(`\r${position + 1}/${files.length} assessed`);
      if (position + 1 === files.length) io.stderr.write('\n');
    }
  }
  if (!options.json) io.stdout.write(summary(lines));
  return 0;
}

async function assessFile(
  path: string,
  position: number,
  policy: AssessPolicy,
  index: MemoryDuplicateIndex,
): Promise<Assessment> {
  const { size } = await stat(path);
  if (size > MAX_FILE_BYTES) {
    return {
      accepted: false,
      reasons: [{ code: 'too_large', message: `the file is ${size} bytes, more than ${MAX_FILE_BYTES}` }],
    };
  }
  const bytes = await readFile(path);
  return assessImage(
    bytes,
    policy.quality,
    {
      index,
      imageId: path,
      // Zero-padded so that string order is the order of the run.
      order: String(position).padStart(12, '0'),
      loadImage: (earlier) => readFile(earlier).catch(() => undefined),
    },
    { deliveredLongSide: policy.deliveredLongSide },
  );
}

function tableHeader(width: number): string {
  return `${'FILE'.padEnd(width)}  VERDICT   ${'SIZE'.padEnd(11)} BLUR  P99  CONTRAST  REASONS`;
}

/** The blur width (pixels at the judged size), '-' when not measured. */
function blurCell(metrics: Record<string, number>): string {
  return metrics['blurWidth'] === undefined ? '-' : metrics['blurWidth'].toFixed(2);
}

function tableRow(line: AssessLine, width: number): string {
  const size = line.width ? `${line.width}×${line.height}` : '-';
  const blur = blurCell(line.metrics);
  const p99 = line.metrics.brightnessP99 === undefined ? '-' : String(line.metrics.brightnessP99);
  const contrast = line.metrics.contrast === undefined ? '-' : line.metrics.contrast.toFixed(2);
  const reasons = line.reasons
    .map((code) => (code.endsWith('duplicate') && line.duplicateOf ? `${code} of ${line.duplicateOf}` : code))
    .join(', ');
  return `${line.file.padEnd(width)}  ${line.verdict.padEnd(8)}  ${size.padEnd(11)} ${blur.padEnd(5)} ${p99.padEnd(4)} ${contrast.padEnd(8)}  ${reasons}`;
}

function summary(lines: AssessLine[]): string {
  const accepted = lines.filter((l) => l.verdict === 'accepted').length;
  const byReason = new Map<string, number>();
  for (const line of lines)
    for (const code of line.reasons) byReason.set(code, (byReason.get(code) ?? 0) + 1);
  const reasons = [...byReason.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  return `\n${lines.length} files: ${accepted} accepted, ${lines.length - accepted} rejected${reasons ? ` (${reasons})` : ''}\n`;
}
