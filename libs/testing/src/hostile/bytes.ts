import { crc32, deflateSync } from 'node:zlib';

// Byte-level building blocks of the hostile corpus: a seeded generator, and the few container
// structures (PNG chunks, TIFF IFDs, JPEG segments, ZIP entries) the cases are built from.

/** A seeded 32-bit generator (mulberry32): the same seed gives the same bytes on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A copy of `bytes` with `count` single bits flipped at seeded positions at or after `from`. */
export function flipBits(bytes: Buffer, count: number, seed: number, from = 16): Buffer {
  const copy = Buffer.from(bytes);
  const next = seededRandom(seed);
  const span = copy.length - from;
  for (let i = 0; i < count; i++) {
    const offset = from + (next() % span);
    copy[offset] = copy[offset]! ^ (1 << (next() & 7));
  }
  return copy;
}

/** The first `fraction` of the bytes. */
export function truncate(bytes: Buffer, fraction: number): Buffer {
  return Buffer.from(bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

// ---- PNG ----

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk with its length and CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function pngIhdr(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = bitDepth;
  data[9] = colourType;
  return pngChunk('IHDR', data);
}

/**
 * A 1-bit greyscale PNG of width × height whose pixels are all zero: the IDAT is deflated row by
 * row data that compresses about 1000:1, so a small file declares (and would inflate to) a lot.
 */
export function zeroPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((Math.ceil(width / 8) + 1) * height); // filter byte 0 + the row, all zero
  return Buffer.concat([
    PNG_SIGNATURE,
    pngIhdr(width, height, 1, 0),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG's chunks (signature skipped), as [type, whole chunk] in file order. */
export function pngChunks(png: Buffer): Array<{ type: string; bytes: Buffer }> {
  const chunks: Array<{ type: string; bytes: Buffer }> = [];
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    chunks.push({ type, bytes: png.subarray(offset, offset + 12 + length) });
    offset += 12 + length;
  }
  return chunks;
}

/** A PNG with `extra` chunks inserted right after IHDR. */
export function withPngChunks(png: Buffer, extra: Buffer[]): Buffer {
  const [ihdr, ...rest] = pngChunks(png);
  if (ihdr?.type !== 'IHDR') throw new Error('not a PNG');
  return Buffer.concat([PNG_SIGNATURE, ihdr.bytes, ...extra, ...rest.map((chunk) => chunk.bytes)]);
}

/** A PNG whose IHDR declares another size (CRC fixed, so only the size is a lie). */
export function withPngSize(png: Buffer, width: number, height: number): Buffer {
  const [ihdr, ...rest] = pngChunks(png);
  if (ihdr?.type !== 'IHDR') throw new Error('not a PNG');
  const data = Buffer.from(ihdr.bytes.subarray(8, 21));
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', data), ...rest.map((chunk) => chunk.bytes)]);
}

// ---- JPEG ----

/** The offset of the first SOFn marker of a JPEG (baseline, extended or progressive). */
function sofOffset(jpeg: Buffer): number {
  let offset = 2;
  while (offset + 4 <= jpeg.length) {
    if (jpeg[offset] !== 0xff) throw new Error(`no JPEG marker at ${offset}`);
    const marker = jpeg[offset + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return offset;
    }
    offset += 2 + jpeg.readUInt16BE(offset + 2);
  }
  throw new Error('no SOF marker');
}

/** A JPEG whose frame header declares another size. */
export function withJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  const sof = sofOffset(copy);
  copy.writeUInt16BE(height, sof + 5);
  copy.writeUInt16BE(width, sof + 7);
  return copy;
}

/** One JPEG marker segment (APPn, COM, ...) carrying `data` (at most 65533 bytes). */
export function jpegSegment(marker: number, data: Buffer): Buffer {
  if (data.length > 0xfffd) throw new Error('a JPEG segment holds at most 65533 bytes');
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}

/** A JPEG with segments inserted right after SOI. */
export function withJpegSegments(jpeg: Buffer, segments: Buffer[]): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);
}

// ---- TIFF ----

/**
 * A little-endian TIFF of `pages` 8-bit grey pages of width × height, every page's IFD pointing at
 * one shared strip (so ten thousand pages cost ~170 bytes each). `loop` makes the last IFD point
 * back at the first instead of ending the chain.
 */
export function multiPageTiff(options: {
  pages: number;
  width: number;
  height: number;
  loop?: boolean;
}): Buffer {
  const { pages, width, height } = options;
  const strip = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) strip[y * width + x] = (x * 7 + y * 13) & 0xff;
  }
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 4, width], // ImageWidth
    [257, 4, height], // ImageLength
    [258, 3, 8], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: BlackIsZero
    [273, 4, 8], // StripOffsets: the strip right after the header
    [277, 3, 1], // SamplesPerPixel
    [278, 4, height], // RowsPerStrip
    [279, 4, strip.length], // StripByteCounts
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const firstIfd = 8 + strip.length + (strip.length % 2);
  const out = Buffer.alloc(firstIfd + pages * ifdSize);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(firstIfd, 4);
  strip.copy(out, 8);
  for (let page = 0; page < pages; page++) {
    let offset = firstIfd + page * ifdSize;
    out.writeUInt16LE(entries.length, offset);
    offset += 2;
    for (const [tag, type, value] of entries) {
      out.writeUInt16LE(tag, offset);
      out.writeUInt16LE(type, offset + 2);
      out.writeUInt32LE(1, offset + 4);
      if (type === 3) out.writeUInt16LE(value, offset + 8);
      else out.writeUInt32LE(value, offset + 8);
      offset += 12;
    }
    const last = page === pages - 1;
    out.writeUInt32LE(last ? (options.loop ? firstIfd : 0) : firstIfd + (page + 1) * ifdSize, offset);
  }
  return out;
}

// ---- ZIP ----

/** A ZIP archive of stored (uncompressed) entries, as a JAR or a ZIP-polyglot's tail. */
export function storedZip(entries: Array<{ name: string; data: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, end]);
}

// ---- ISO-BMFF (HEIF/AVIF) ----

/** A HEIF/AVIF file whose every `ispe` (image spatial extent) box declares another size. */
export function withIspeSize(heif: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(heif);
  let found = 0;
  for (let at = copy.indexOf('ispe', 0, 'latin1'); at !== -1; at = copy.indexOf('ispe', at + 4, 'latin1')) {
    // box type, then version/flags (4 bytes), then width and height (32 bits each)
    copy.writeUInt32BE(width, at + 8);
    copy.writeUInt32BE(height, at + 12);
    found++;
  }
  if (found === 0) throw new Error('no ispe box');
  return copy;
}
