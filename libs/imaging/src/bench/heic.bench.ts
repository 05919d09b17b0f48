// HEIC decoding speed and memory, per decoder, on the phone photos of the corpus:
//   scripts/bench heic [N] [native|wasm]     N decodes per file and decoder (default 20)
// A decode is what a stage pays: openImage (the HEIC decode) plus pipeline().raw() (reading the
// kept pixels back). One unmeasured decode first (it loads the WASM module). RSS is the whole
// process's, before and after the N decodes, after a garbage collection: the WASM decoder lives
// in it, heif-convert does not.
// sharp's AVIF decode of pitm.avif is the reference line, measured the same way; "× AVIF" is a
// decoder's time per megapixel over AVIF's, the figure that compares across machines.
import { corpusPath } from '@aperture/testing';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { heicDecoderName, type HeicDecoderName } from '../heic/decoder';
import { wasmHeapBytes, wasmLibheifVersion } from '../heic/wasm';
import { openImageWith } from '../open';
import { sharp } from '../sharp';

const MB = 1024 * 1024;

// RSS is read after a full garbage collection, so that decoded images still waiting to be
// collected do not pass for a leak (scripts/bench runs node without --expose-gc).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function rssAfterGc(): number {
  collectGarbage();
  return process.memoryUsage().rss;
}

interface Measured {
  msPerDecode: number;
  megapixels: number;
  rssBefore: number;
  rssAfter: number;
}

async function measure(bytes: Buffer, decoder: HeicDecoderName, repeats: number): Promise<Measured> {
  const decodeOnce = async (): Promise<number> => {
    const image = await openImageWith(bytes, {}, () => decoder);
    const { info } = await image.pipeline().raw().toBuffer({ resolveWithObject: true });
    return (info.width * info.height) / 1e6;
  };
  const megapixels = await decodeOnce();
  const rssBefore = rssAfterGc();
  const started = performance.now();
  for (let i = 0; i < repeats; i++) await decodeOnce();
  const msPerDecode = (performance.now() - started) / repeats;
  return { msPerDecode, megapixels, rssBefore, rssAfter: rssAfterGc() };
}

/** A table row: the file name left-aligned, the figures right-aligned under their headings. */
function row(cells: Array<string | number>): string {
  const [name, ...figures] = cells.map(String);
  const widths = [6, 8, 11, 10, 8, 22];
  return (name ?? '').padEnd(36) + figures.map((cell, i) => cell.padStart(widths[i] ?? 10)).join('');
}

/** "libheif version: 1.15.1" from heif-convert's usage text, which it prints on stderr. */
function heifConvertVersion(): string {
  const usage = spawnSync('heif-convert', ['--help'], { encoding: 'utf8' });
  const version = /libheif version: (\S+)/.exec(`${usage.stdout}${usage.stderr}`)?.[1];
  return version ? `heif-convert (libheif ${version})` : 'heif-convert not found';
}

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 20);
  const only = process.argv[3] as HeicDecoderName | undefined;
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error('usage: scripts/bench heic [N] [native|wasm]');
  const decoders: HeicDecoderName[] = only ? [only] : ['native', 'wasm'];

  const heicDir = corpusPath('cameras', 'heic');
  const files = readdirSync(heicDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.hei[cf]$/i.test(file))
    .sort();
  console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()[0]?.toFixed(2)}`);
  console.log(`native: ${heifConvertVersion()}; wasm: libheif-js (libheif ${await wasmLibheifVersion()})`);
  console.log(
    `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; default decoder here: ${heicDecoderName()}`,
  );
  console.log(`${repeats} decodes per file and decoder\n`);

  const avif = await measure(readFileSync(corpusPath('formats', 'pitm.avif')), 'wasm', repeats);
  const avifMsPerMegapixel = avif.msPerDecode / avif.megapixels;

  console.log(row(['file', 'MP', 'dec', 'ms/decode', 'images/s', '× AVIF', 'RSS MB before→after']));
  const print = (name: string, decoder: string, m: Measured): void =>
    console.log(
      row([
        name,
        m.megapixels.toFixed(1),
        decoder,
        m.msPerDecode.toFixed(0),
        (1000 / m.msPerDecode).toFixed(2),
        (m.msPerDecode / m.megapixels / avifMsPerMegapixel).toFixed(1),
        `${(m.rssBefore / MB).toFixed(0)}→${(m.rssAfter / MB).toFixed(0)}`,
      ]),
    );
  print('formats/pitm.avif (sharp, reference)', 'sharp', avif);
  for (const file of files) {
    const bytes = readFileSync(join(heicDir, file));
    for (const decoder of decoders) print(file, decoder, await measure(bytes, decoder, repeats));
  }
  if (decoders.includes('wasm'))
    console.log(`\nWASM heap at the end: ${((await wasmHeapBytes()) / MB).toFixed(0)} MB`);
}

void main();
