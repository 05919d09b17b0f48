// Test helpers: corpus files, a default spec, pixel comparisons, and exiftool (the thorough reader)
// to prove what metadata an output carries.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharp } from '@aperture/imaging';
import { defaultPolicy } from '@aperture/policy';
import { corpusPath } from '@aperture/testing';
import { ExifTool } from 'exiftool-vendored';
import type { StandardizeSpec } from '../standardize';

export const corpus = (path: string): Buffer => readFileSync(corpusPath(path));

export const spec = (overrides: Partial<StandardizeSpec> = {}): StandardizeSpec => ({
  ...defaultPolicy.standardize,
  ...overrides,
});

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** Decoded 8-bit pixels of encoded bytes. */
export async function pixelsOf(bytes: Buffer | ReturnType<typeof sharp>): Promise<Pixels> {
  const image = Buffer.isBuffer(bytes) ? sharp(bytes) : bytes;
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Mean absolute difference per sample of two equally sized images. */
export function meanDifference(a: Pixels, b: Pixels): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

/** A 32×24 grey thumbnail, to compare what two images show regardless of encoding noise. */
export const thumbnail = (bytes: Buffer) =>
  pixelsOf(sharp(bytes).resize(32, 24, { fit: 'fill' }).greyscale());

/** What exiftool reads from bytes: every tag, grouped ("GPS:GPSLatitude", "XMP-dc:Rights"). */
export async function exiftoolTags(exiftool: ExifTool, bytes: Buffer): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'aperture-exif-'));
  try {
    const file = join(dir, 'image');
    await writeFile(file, bytes);
    const tags: Record<string, unknown> = await exiftool.readRaw(file, { readArgs: ['-G1', '-a', '-u'] });
    return Object.fromEntries(
      Object.entries(tags).filter(([key]) => !/^(SourceFile|ExifTool|System|File|Composite):?/.test(key)),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const newExifTool = () => new ExifTool({ maxProcs: 1, taskTimeoutMillis: 30_000 });
