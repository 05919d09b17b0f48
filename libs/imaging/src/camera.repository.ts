import type { Readable } from 'node:stream';
import exifr from 'exifr';

export interface CameraFacts {
  make?: string;
  model?: string;
  /** 0..23 from DateTimeOriginal (the camera's clock). */
  captureHour?: number;
}

/** EXIF sits at the start of a file: the report reads at most this much of each raw upload. */
const HEAD_BYTES = 256 * 1024;

async function head(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= HEAD_BYTES) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES);
}

/**
 * The camera make, model and capture hour of a raw upload, through exifr (no hand parsing); only
 * those three tags are read, never GPS or serial numbers. Unreadable metadata gives {}.
 */
export async function readCamera(stream: Readable): Promise<CameraFacts> {
  try {
    const tags = (await exifr.parse(await head(stream), {
      pick: ['Make', 'Model', 'DateTimeOriginal'],
      gps: false,
      makerNote: false,
      xmp: false,
      icc: false,
      iptc: false,
    })) as { Make?: unknown; Model?: unknown; DateTimeOriginal?: unknown } | undefined;
    if (!tags) return {};
    const text = (value: unknown) =>
      typeof value === 'string' && value.trim() ? value.trim().slice(0, 80) : undefined;
    const taken = tags.DateTimeOriginal;
    return {
      ...(text(tags.Make) && { make: text(tags.Make) }),
      ...(text(tags.Model) && { model: text(tags.Model) }),
      ...(taken instanceof Date && !Number.isNaN(taken.getTime()) && { captureHour: taken.getHours() }),
    };
  } catch {
    return {};
  }
}
