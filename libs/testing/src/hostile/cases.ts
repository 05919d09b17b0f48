import { readFileSync } from 'node:fs';
import { gzipSync, deflateSync } from 'node:zlib';
import { corpusPath } from '../corpus';
import {
  flipBits,
  jpegSegment,
  multiPageTiff,
  pngChunk,
  storedZip,
  truncate,
  withIspeSize,
  withJpegSegments,
  withJpegSize,
  withPngChunks,
  withPngSize,
  zeroPng,
} from './bytes';

/**
 * What ingest answers to the upload: 201 (stored, handed to the pipeline) or a refusal with its
 * status and error code.
 */
export type IngestVerdict = { status: 201 } | { status: 400 | 413 | 415; code: string };

/**
 * The quality stage's verdict with the default policy (assessImage): 'accepted', or the first
 * rejection reason's code. Given for every case, those ingest refuses included (defence in depth:
 * the decoders must name them too).
 */
export type QualityVerdict =
  | 'accepted'
  | 'corrupt'
  | 'unsupported_format'
  | 'too_large'
  | 'timeout'
  | 'low_information'
  | 'odd_aspect_ratio'
  | 'blurry'
  | 'overexposed';

export interface HostileCase {
  /** Unique, also the generated file's name stem. */
  name: string;
  /** What the file is and why it is hostile. */
  description: string;
  /** The name and Content-Type the client sends (both untrusted by ingest). */
  filename: string;
  contentType: string;
  /** The bytes, made afresh on each call (deterministic: seeded, from corpus files). */
  make(): Buffer;
  ingest: IngestVerdict;
  quality: QualityVerdict;
}

const corpus =
  (...segments: string[]) =>
  () =>
    readFileSync(corpusPath(...segments));
const accepted: IngestVerdict = { status: 201 };
const refused415: IngestVerdict = { status: 415, code: 'unsupported_media_type' };

/**
 * One sample per supported format: small, and accepted by the default policy except the PNG: a
 * grey gradient on transparency, flattened onto mid-grey for analysis, so no pixel is darker than
 * 114 while the highlights reach white: washed out (SAMPLE_PNG_VERDICT).
 */
const samples = {
  jpeg: { file: corpus('cameras/jpg/exif-org/canon-ixus.jpg'), ext: 'jpg', type: 'image/jpeg' },
  png: { file: corpus('formats/grey-8bit-alpha.png'), ext: 'png', type: 'image/png' },
  webp: { file: corpus('formats/4.webp'), ext: 'webp', type: 'image/webp' },
  gif: { file: corpus('formats/animated-loop-3.gif'), ext: 'gif', type: 'image/gif' },
  tiff: { file: corpus('cameras/tiff/BSG1.tiff'), ext: 'tiff', type: 'image/tiff' },
  avif: { file: corpus('formats/pitm.avif'), ext: 'avif', type: 'image/avif' },
  heic: { file: corpus('cameras/heic/samplefilehub.heif'), ext: 'heic', type: 'image/heic' },
} as const;
type SampleFormat = keyof typeof samples;
/** The quality verdict on the PNG sample, and so on every PNG case built from it that decodes. */
const SAMPLE_PNG_VERDICT: QualityVerdict = 'overexposed';

/**
 * Truncated and bit-flipped copies of each format's sample, with the verdicts measured on them.
 * Not every damage is detectable: flips that land in entropy-coded JPEG or VP8 data leave a valid
 * stream with wrong pixels (accepted, as any decoder would); libvips' GIF loader fills a truncated
 * frame in (its flat remainder makes the picture low_information); the truncated AVIF (a grid of
 * tiles) still decodes a strip of it (odd_aspect_ratio). Every one gets a named verdict.
 */
const damaged: Record<SampleFormat, { truncated: QualityVerdict; flipped: QualityVerdict }> = {
  jpeg: { truncated: 'corrupt', flipped: 'accepted' },
  png: { truncated: 'corrupt', flipped: 'corrupt' },
  webp: { truncated: 'corrupt', flipped: 'accepted' },
  gif: { truncated: 'low_information', flipped: 'corrupt' },
  tiff: { truncated: 'corrupt', flipped: 'corrupt' },
  avif: { truncated: 'odd_aspect_ratio', flipped: 'corrupt' },
  heic: { truncated: 'corrupt', flipped: 'corrupt' },
};

function damagedCases(): HostileCase[] {
  return (Object.keys(samples) as SampleFormat[]).flatMap((format, index) => {
    const sample = samples[format];
    return [
      {
        name: `truncated-${format}`,
        description: `the first 60% of a ${format.toUpperCase()} file`,
        filename: `truncated.${sample.ext}`,
        contentType: sample.type,
        make: () => truncate(sample.file(), 0.6),
        ingest: accepted,
        quality: damaged[format].truncated,
      },
      {
        name: `bitflip-${format}`,
        description: `a ${format.toUpperCase()} file with 64 seeded bit flips after its first 16 bytes`,
        filename: `bitflip.${sample.ext}`,
        contentType: sample.type,
        make: () => flipBits(sample.file(), 64, 0x5eed + index),
        ingest: accepted,
        quality: damaged[format].flipped,
      },
    ];
  });
}

/** 4.webp is lossy VP8: its frame header holds 14-bit width and height at bytes 26 and 28. */
function webpWithSize(webp: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(webp);
  if (copy.toString('latin1', 12, 16) !== 'VP8 ') throw new Error('not a lossy VP8 WebP');
  copy.writeUInt16LE(width & 0x3fff, 26);
  copy.writeUInt16LE(height & 0x3fff, 28);
  return copy;
}

/** A GIF whose logical screen and first image descriptor declare another size. */
function gifWithSize(gif: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(gif);
  copy.writeUInt16LE(width, 6);
  copy.writeUInt16LE(height, 8);
  const flags = copy[10]!;
  let offset = 13 + (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0);
  // Skip extension blocks (0x21 label, then sub-blocks) up to the first image descriptor (0x2c).
  while (copy[offset] === 0x21) {
    offset += 2;
    while (copy[offset]! !== 0) offset += copy[offset]! + 1;
    offset += 1;
  }
  if (copy[offset] !== 0x2c) throw new Error('no GIF image descriptor');
  copy.writeUInt16LE(width, offset + 5);
  copy.writeUInt16LE(height, offset + 7);
  return copy;
}

/** A one-page TIFF whose IFD declares another size than its 64×64 strip. */
function tiffWithSize(width: number, height: number): Buffer {
  const tiff = multiPageTiff({ pages: 1, width: 64, height: 64 });
  const ifd = tiff.readUInt32LE(4);
  tiff.writeUInt32LE(width, ifd + 2 + 8); // ImageWidth's value
  tiff.writeUInt32LE(height, ifd + 2 + 12 + 8); // ImageLength's value
  return tiff;
}

/** EXIF ("Exif\0\0" + a little-endian TIFF structure) whose IFD0 and Exif IFD point at themselves. */
function loopingExif(): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8); // one entry
  tiff.writeUInt16LE(0x8769, 10); // ExifIFDPointer
  tiff.writeUInt16LE(4, 12); // LONG
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt32LE(8, 18); // ... back to IFD0
  tiff.writeUInt32LE(8, 22); // next IFD: IFD0 again
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/** 160 APP1 "Exif" segments of 64 KB of seeded noise after a valid minimal one: ~10 MB of EXIF. */
function tenMegabytesOfExif(): Buffer[] {
  const segments: Buffer[] = [jpegSegment(0xe1, loopingExif().subarray(0, 6 + 8 + 2 + 4))];
  const noise = flipBits(Buffer.alloc(0xfff0), 20_000, 0xe1f);
  for (let i = 0; i < 160; i++) {
    segments.push(jpegSegment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), noise])));
  }
  return segments;
}

const svg = (body: string) =>
  Buffer.from(
    `<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="64" height="64">${body}</svg>\n`,
  );
const html = Buffer.from(
  '<!doctype html><html><body><script>fetch("/steal?c="+document.cookie)</script></body></html>\n',
);
const zipPayload = () =>
  storedZip([
    { name: 'index.html', data: html },
    { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\nMain-Class: Evil\n') },
  ]);

function bombCases(): HostileCase[] {
  return [
    {
      name: 'png-declares-1e12-pixels',
      description: 'a PNG whose IHDR declares 1,000,000 × 1,000,000 over a tiny image',
      filename: 'huge.png',
      contentType: 'image/png',
      make: () => withPngSize(readFileSync(corpusPath('formats/with-alpha.png')), 1_000_000, 1_000_000),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'png-zlib-bomb-400mp',
      description: 'a 20000 × 20000 1-bit PNG of zeros: ~50 KB that inflate to 400 megapixels',
      filename: 'bomb.png',
      contentType: 'image/png',
      make: () => zeroPng(20_000, 20_000),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'png-zlib-bomb-at-limit',
      description: 'a 10000 × 10000 1-bit PNG of zeros: exactly the 100 MP limit, so it is decoded',
      filename: 'limit.png',
      contentType: 'image/png',
      make: () => zeroPng(10_000, 10_000),
      ingest: accepted,
      quality: 'low_information',
    },
    {
      name: 'png-iccp-bomb',
      description: 'a PNG with an iCCP profile that inflates to 64 MB (libspng drops it)',
      filename: 'iccp.png',
      contentType: 'image/png',
      make: () =>
        withPngChunks(samples.png.file(), [
          pngChunk(
            'iCCP',
            Buffer.concat([
              Buffer.from('bomb\0\0', 'latin1'),
              deflateSync(Buffer.alloc(64 << 20), { level: 9 }),
            ]),
          ),
        ]),
      ingest: accepted,
      quality: SAMPLE_PNG_VERDICT,
    },
    {
      name: 'png-16mb-text-chunk',
      description: 'a PNG with one 16 MB tEXt chunk',
      filename: 'text.png',
      contentType: 'image/png',
      make: () =>
        withPngChunks(samples.png.file(), [
          pngChunk('tEXt', Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.alloc(16 << 20, 0x41)])),
        ]),
      ingest: accepted,
      quality: SAMPLE_PNG_VERDICT,
    },
    {
      name: 'png-100k-chunks',
      description: 'a PNG with 100,000 small tEXt chunks before its image data',
      filename: 'chunks.png',
      contentType: 'image/png',
      make: () => {
        const chunk = pngChunk('tEXt', Buffer.from('k\0v', 'latin1'));
        return withPngChunks(
          samples.png.file(),
          Array.from({ length: 100_000 }, () => chunk),
        );
      },
      ingest: accepted,
      quality: SAMPLE_PNG_VERDICT,
    },
    {
      name: 'png-chunk-length-overflow',
      description: 'a PNG with a chunk declaring 2 GB of data where the file ends',
      filename: 'overflow.png',
      contentType: 'image/png',
      make: () => {
        const png = readFileSync(corpusPath('formats/with-alpha.png'));
        const head = Buffer.alloc(8);
        head.writeUInt32BE(0x7fffffff, 0);
        head.write('tEXt', 4, 'latin1');
        return Buffer.concat([png.subarray(0, 33), head, Buffer.alloc(64)]);
      },
      ingest: accepted,
      quality: 'corrupt',
    },
    {
      name: 'jpeg-declares-65500x65500',
      description: 'a JPEG whose frame header declares 65500 × 65500 (4.3 gigapixels)',
      filename: 'huge.jpg',
      contentType: 'image/jpeg',
      make: () => withJpegSize(samples.jpeg.file(), 65_500, 65_500),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'webp-declares-16383x16383',
      description: 'a WebP whose VP8 frame header declares 16383 × 16383 (268 MP)',
      filename: 'huge.webp',
      contentType: 'image/webp',
      make: () => webpWithSize(samples.webp.file(), 16_383, 16_383),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'gif-declares-65535x65535',
      description: 'a GIF whose logical screen and first frame declare 65535 × 65535',
      filename: 'huge.gif',
      contentType: 'image/gif',
      make: () => gifWithSize(samples.gif.file(), 65_535, 65_535),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'tiff-declares-100000x100000',
      description: 'a TIFF whose IFD declares 100000 × 100000 over a 4 KB strip',
      filename: 'huge.tiff',
      contentType: 'image/tiff',
      make: () => tiffWithSize(100_000, 100_000),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'tiff-10000-pages',
      description:
        'a TIFF with 10,000 pages (IFDs), all sharing one 64 × 64 gradient strip: only the first is decoded (too small for blur to be judged)',
      filename: 'pages.tiff',
      contentType: 'image/tiff',
      make: () => multiPageTiff({ pages: 10_000, width: 64, height: 64 }),
      ingest: accepted,
      quality: 'accepted',
    },
    {
      name: 'tiff-ifd-loop',
      description: 'a TIFF of 3 pages whose last IFD points back at the first',
      filename: 'loop.tiff',
      contentType: 'image/tiff',
      make: () => multiPageTiff({ pages: 3, width: 64, height: 64, loop: true }),
      ingest: accepted,
      quality: 'accepted',
    },
    {
      name: 'heic-declares-60000x60000',
      description: 'a HEIC whose ispe boxes declare 60000 × 60000',
      filename: 'huge.heic',
      contentType: 'image/heic',
      make: () => withIspeSize(samples.heic.file(), 60_000, 60_000),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'avif-declares-60000x60000',
      description: 'an AVIF whose ispe boxes declare 60000 × 60000',
      filename: 'huge.avif',
      contentType: 'image/avif',
      make: () => withIspeSize(samples.avif.file(), 60_000, 60_000),
      ingest: accepted,
      quality: 'too_large',
    },
    {
      name: 'jpeg-10mb-exif',
      description: 'a JPEG carrying 161 APP1 Exif segments, 10 MB of EXIF in all',
      filename: 'exif.jpg',
      contentType: 'image/jpeg',
      make: () => withJpegSegments(samples.jpeg.file(), tenMegabytesOfExif()),
      ingest: accepted,
      quality: 'accepted',
    },
    {
      name: 'jpeg-exif-ifd-loop',
      description: 'a JPEG whose EXIF IFD0 and Exif IFD point back at themselves',
      filename: 'exif-loop.jpg',
      contentType: 'image/jpeg',
      make: () => withJpegSegments(samples.jpeg.file(), [jpegSegment(0xe1, loopingExif())]),
      ingest: accepted,
      quality: 'accepted',
    },
  ];
}

function disguiseCases(): HostileCase[] {
  return [
    {
      name: 'png-as-jpg',
      description: 'PNG bytes named .jpg, sent as image/jpeg (stored as the PNG it is)',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: samples.png.file,
      ingest: accepted,
      quality: SAMPLE_PNG_VERDICT,
    },
    {
      name: 'jpeg-as-exe',
      description: 'JPEG bytes named .exe, sent as application/octet-stream',
      filename: 'setup.exe',
      contentType: 'application/octet-stream',
      make: samples.jpeg.file,
      ingest: accepted,
      quality: 'accepted',
    },
    {
      name: 'svg-as-png',
      description: 'an SVG named .png, sent as image/png',
      filename: 'icon.png',
      contentType: 'image/png',
      make: () => svg('<rect width="64" height="64"/>'),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'html-as-jpg',
      description: 'an HTML page with a script, named .jpg, sent as image/jpeg',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: () => html,
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'jpeg2000-as-jpg',
      description: 'a JPEG 2000 file named .jpg',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: corpus('formats/relax.jp2'),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'pdf-as-jpg',
      description: 'a PDF named .jpg',
      filename: 'scan.jpg',
      contentType: 'image/jpeg',
      make: () =>
        Buffer.from('%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n'),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'elf-as-jpg',
      description: 'an ELF executable header named .jpg',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]),
      ingest: refused415,
      quality: 'corrupt',
    },
    {
      name: 'riff-wave-as-webp',
      description: 'a RIFF/WAVE audio header named .webp',
      filename: 'photo.webp',
      contentType: 'image/webp',
      make: () => Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(64)]),
      ingest: refused415,
      quality: 'corrupt',
    },
    {
      name: 'mp4-as-heic',
      description: 'an MP4 (ftyp isom) header named .heic',
      filename: 'photo.heic',
      contentType: 'image/heic',
      make: () =>
        Buffer.concat([
          Buffer.from('\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41', 'latin1'),
          Buffer.alloc(64),
        ]),
      ingest: refused415,
      quality: 'unsupported_format',
    },
  ];
}

function polyglotCases(): HostileCase[] {
  return [
    {
      name: 'jpeg-zip-polyglot',
      description: 'a JPEG followed by a ZIP archive (a valid JPEG and a valid ZIP at once)',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: () => Buffer.concat([samples.jpeg.file(), zipPayload()]),
      ingest: accepted,
      quality: 'accepted',
    },
    {
      name: 'jpeg-html-after-eoi',
      description: 'a JPEG with an HTML page and script after its end-of-image marker',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: () => Buffer.concat([samples.jpeg.file(), html]),
      ingest: accepted,
      quality: 'accepted',
    },
    {
      name: 'gifar',
      description: 'a GIF followed by a JAR (GIFAR): judged as the GIF alone (low_information)',
      filename: 'avatar.gif',
      contentType: 'image/gif',
      make: () => Buffer.concat([samples.gif.file(), zipPayload()]),
      ingest: accepted,
      quality: 'low_information',
    },
    {
      name: 'png-script-in-text',
      description: 'a PNG whose tEXt chunk holds an HTML script',
      filename: 'image.png',
      contentType: 'image/png',
      make: () =>
        withPngChunks(samples.png.file(), [
          pngChunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), html])),
        ]),
      ingest: accepted,
      quality: SAMPLE_PNG_VERDICT,
    },
    {
      name: 'zip-with-jpeg-inside',
      description: 'a ZIP archive whose first entry is a JPEG, named .jpg',
      filename: 'photo.jpg',
      contentType: 'image/jpeg',
      make: () => storedZip([{ name: 'photo.jpg', data: samples.jpeg.file() }]),
      ingest: refused415,
      quality: 'corrupt',
    },
  ];
}

function tinyAndSvgCases(): HostileCase[] {
  return [
    {
      name: 'empty',
      description: 'zero bytes',
      filename: 'empty.jpg',
      contentType: 'image/jpeg',
      make: () => Buffer.alloc(0),
      ingest: { status: 400, code: 'invalid_request' },
      quality: 'corrupt',
    },
    {
      name: 'one-byte',
      description: 'a single 0xFF byte',
      filename: 'one.jpg',
      contentType: 'image/jpeg',
      make: () => Buffer.from([0xff]),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'jpeg-soi-only',
      description: 'a JPEG start-of-image marker and nothing else',
      filename: 'soi.jpg',
      contentType: 'image/jpeg',
      make: () => Buffer.from([0xff, 0xd8, 0xff]),
      ingest: accepted,
      quality: 'corrupt',
    },
    {
      name: 'png-signature-only',
      description: 'the 8-byte PNG signature and nothing else',
      filename: 'sig.png',
      contentType: 'image/png',
      make: () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      ingest: accepted,
      quality: 'corrupt',
    },
    {
      name: 'svg-xlink-http',
      description: 'an SVG whose image points at the cloud metadata address over http',
      filename: 'ssrf.svg',
      contentType: 'image/svg+xml',
      make: () =>
        svg('<image xlink:href="http://169.254.169.254/latest/meta-data/" width="64" height="64"/>'),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'svg-xlink-file',
      description: 'an SVG whose image points at file:///etc/passwd',
      filename: 'lfi.svg',
      contentType: 'image/svg+xml',
      make: () => svg('<image xlink:href="file:///etc/passwd" width="64" height="64"/>'),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'svg-xxe',
      description: 'an SVG with an external XML entity reading /etc/passwd',
      filename: 'xxe.svg',
      contentType: 'image/svg+xml',
      make: () =>
        Buffer.from(
          '<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' +
            '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text>&xxe;</text></svg>\n',
        ),
      ingest: refused415,
      quality: 'unsupported_format',
    },
    {
      name: 'svgz',
      description: 'a gzip-compressed SVG (svgz)',
      filename: 'icon.svgz',
      contentType: 'image/svg+xml',
      make: () => gzipSync(svg('<image xlink:href="http://example.com/x.png"/>')),
      ingest: refused415,
      quality: 'corrupt',
    },
  ];
}

/** Every hostile case, in a stable order. */
export function hostileCases(): HostileCase[] {
  return [...damagedCases(), ...bombCases(), ...disguiseCases(), ...polyglotCases(), ...tinyAndSvgCases()];
}
