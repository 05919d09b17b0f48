import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { ImageDecodeError } from '../errors';
import type { InspectedImage } from '../header';
import { decodeOptionsWithin, sharp } from '../sharp';

const execFileAsync = promisify(execFile);

/** The command line decoder of libheif's examples (Debian package libheif-examples). */
export const HEIF_CONVERT = 'heif-convert';
const HEIF_INFO = 'heif-info';

/** The last lookup: PATH rarely changes, and a decode should not stat every PATH directory. */
let lookup: { path: string; found: boolean } | undefined;

/** Whether heif-convert is an executable on PATH (looked up again only when PATH changes). */
export function heifConvertOnPath(): boolean {
  const path = process.env['PATH'] ?? '';
  if (lookup?.path !== path) {
    const found = path.split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, HEIF_CONVERT)));
    lookup = { path, found };
  }
  return lookup.found;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes the primary image of a HEIC file with the system's libheif, through heif-convert in a
 * child process (bounded in time, isolated from this process's memory). libheif applies
 * irot/imir/clap, so the pixels come out upright. Resolves to a PNG stored without compression,
 * carrying the ICC profile libheif found.
 *
 * heif-convert 1.15 writes PNG (lossless, 8 or 16 bits, alpha, ICC) or y4m (raw 4:2:0 YCbCr
 * without alpha, whose conversion to RGB would have to repeat libheif's nclx/VUI logic). PNG is
 * what is correct; its zlib compression is most of the time spent (see README).
 */
export async function decodeHeicWithHeifConvert(bytes: Buffer, inspected: InspectedImage): Promise<Buffer> {
  const { header, metadata, maxPixels } = inspected;
  const topLevelImages = metadata.pages ?? 1;
  const timeoutMs = decodeTimeoutMs(header.width * header.height * topLevelImages);
  const dir = await mkdtemp(join(tmpdir(), 'aperture-heic-'));
  try {
    const input = join(dir, 'input.heic');
    await writeFile(input, bytes);
    if (topLevelImages > 1) await refuseLargeTopLevelImages(input, maxPixels, timeoutMs);
    await run(HEIF_CONVERT, ['--quiet', input, join(dir, 'decoded.png')], timeoutMs);
    // heif-convert decodes every top-level image: into decoded.png when there is one, otherwise
    // into decoded-1.png, decoded-2.png, ... in libheif's order, the order of libvips' pages.
    const primary = topLevelImages > 1 ? `decoded-${(metadata.pagePrimary ?? 0) + 1}.png` : 'decoded.png';
    const png = await readFile(join(dir, primary));
    // Re-stored without compression (sharp reads it back ~8× faster), dropping heif-convert's
    // EXIF copy: its orientation tag would make a reader rotate the already upright pixels again.
    // heif-convert writes 10/12-bit images as 16-bit PNG, which sharp would otherwise save as 8.
    return await sharp(png, decodeOptionsWithin(maxPixels))
      .toColourspace(header.bitsPerSample > 8 ? 'rgb16' : 'srgb')
      .png({ compressionLevel: 0 })
      .keepIccProfile()
      .toBuffer();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * heif-convert decodes all top-level images, not just the primary one that the header measured:
 * each of them must be within the pixel limit too, or a small primary could smuggle in a bomb.
 */
async function refuseLargeTopLevelImages(input: string, maxPixels: number, timeoutMs: number): Promise<void> {
  const info = await run(HEIF_INFO, [input], timeoutMs);
  for (const [, width, height] of info.matchAll(/^image: (\d+)x(\d+)/gm)) {
    if (Number(width) * Number(height) > maxPixels) {
      throw new ImageDecodeError(
        'too_large',
        `one of the images in this HEIF file is ${width}×${height}, more than the limit of ${maxPixels / 1e6} MP`,
      );
    }
  }
}

/**
 * Time allowed for one decode: 10 s plus 2 s per megapixel. heif-convert takes ~0.4 s per
 * megapixel on the project's 2-core machine when idle and twice that when the other core is busy,
 * so only a stuck or pathological decode is stopped.
 */
function decodeTimeoutMs(pixels: number): number {
  return 10_000 + Math.ceil(pixels / 500);
}

/**
 * Runs a libheif tool; its stdout. A failure that says something about the image (libheif's own
 * error, a crash on this input, the time limit) is an ImageDecodeError; one that does not (the
 * tool missing) is a plain Error, for the caller to retry or report.
 */
async function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error(`${command} is not installed (not found on PATH)`, { cause: error });
    }
    if (failure.killed) {
      // The limit is generous (see decodeTimeoutMs): a decode that outlasts it is a pathological
      // file, refused like one that outlasts sharp's time limit.
      throw new ImageDecodeError(
        'timeout',
        `the HEIC decoder did not finish within ${timeoutMs / 1000} s: a pathological file`,
      );
    }
    if (failure.signal) {
      throw new ImageDecodeError('corrupt', `the HEIC decoder crashed on this image (${failure.signal})`);
    }
    const reason = (failure.stderr ?? '').trim().split('\n').pop() || `${command} failed`;
    throw new ImageDecodeError('corrupt', `the HEIC image does not decode: ${reason}`);
  }
}
