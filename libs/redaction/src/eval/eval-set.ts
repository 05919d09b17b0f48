// The face evaluation set: real photos with hand-checked face boxes (faces.labels.json), read
// from the installed @vladmandic/face-api package (never copied into the repo), plus composites
// derived from them for small faces: each photo scaled down (lanczos, as a camera far away would
// see it) so its faces are 17-64 px, six per 4000 x 3000 grey canvas (a 12 MP frame), with the
// labels scaled and moved the same way.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { sharp } from '@aperture/imaging';

import type { Box } from '../boxes';
import labelFile from './faces.labels.json';

export interface EvalImage {
  name: string;
  /** Encoded bytes (the photos) or raw RGB pixels (the composites). */
  input: Buffer | { data: Uint8Array; width: number; height: number; channels: number };
  faces: Box[];
}

/** Scales of the composites: each gives one 12 MP canvas with all six photos at that scale. */
export const COMPOSITE_SCALES = [0.12, 0.17, 0.22, 0.3] as const;
const CANVAS_12MP = { width: 4000, height: 3000 };

export function faceApiDir(): string {
  return dirname(require.resolve('@vladmandic/face-api/package.json'));
}

function toBox([x, y, width, height]: number[]): Box {
  return { x: x!, y: y!, width: width!, height: height! };
}

/** The labelled photos as they ship, with their boxes. */
export async function labelledPhotos(): Promise<EvalImage[]> {
  return Promise.all(
    labelFile.images.map(async (image) => ({
      name: image.file,
      input: await readFile(join(faceApiDir(), image.file)),
      faces: image.faces.map(toBox),
    })),
  );
}

/** One composite per scale: the six photos on a 3 x 2 grid of a 4000 x 3000 canvas, each at `scale`. */
export async function composites(
  scales: readonly number[] = COMPOSITE_SCALES,
  canvas: { width: number; height: number } = CANVAS_12MP,
): Promise<EvalImage[]> {
  const photos = await labelledPhotos();
  const cellWidth = Math.floor(canvas.width / 3);
  const cellHeight = Math.floor(canvas.height / 2);
  const result: EvalImage[] = [];
  for (const scale of scales) {
    const layers: Array<{ input: Buffer; left: number; top: number }> = [];
    const faces: Box[] = [];
    for (const [i, photo] of photos.entries()) {
      const meta = await sharp(photo.input as Buffer).metadata();
      const width = Math.round(meta.width * scale);
      const height = Math.round(meta.height * scale);
      // Spread within the cell (deterministically), so faces fall at varied tile offsets.
      const left = (i % 3) * cellWidth + ((i * 97) % Math.max(1, cellWidth - width));
      const top = Math.floor(i / 3) * cellHeight + ((i * 61) % Math.max(1, cellHeight - height));
      const input = await sharp(photo.input as Buffer)
        .resize(width, height, { kernel: 'lanczos3' })
        .toBuffer();
      layers.push({ input, left, top });
      for (const face of photo.faces) {
        faces.push({
          x: left + face.x * (width / meta.width),
          y: top + face.y * (height / meta.height),
          width: face.width * (width / meta.width),
          height: face.height * (height / meta.height),
        });
      }
    }
    const { data, info } = await sharp({
      create: { ...canvas, channels: 3, background: { r: 128, g: 128, b: 128 } },
    })
      .composite(layers)
      .raw()
      .toBuffer({ resolveWithObject: true });
    result.push({
      name: `composite@${scale}`,
      input: { data, width: info.width, height: info.height, channels: info.channels },
      faces,
    });
  }
  return result;
}
