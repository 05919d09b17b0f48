/** The containers the pipeline takes, as their first bytes say. HEIF covers both HEIC and AVIF. */
export type AcceptedContainer = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heif';

/** What a file's first bytes say it is. */
export type Signature =
  | { kind: 'accepted'; container: AcceptedContainer }
  /** A format we recognise and refuse; `name` is how a person would call it. */
  | { kind: 'unsupported'; name: string }
  | { kind: 'unknown' };

/**
 * ISO-BMFF brands of still images in HEIF (ISO/IEC 23008-12) and AVIF. A file with none of them
 * (an MP4 video, a Canon CR3 raw) is another kind of ISO-BMFF file.
 */
const HEIF_BRANDS = new Set([
  'mif1',
  'mif2',
  'msf1',
  'heic',
  'heix',
  'heim',
  'heis',
  'hevc',
  'hevx',
  'avif',
  'avis',
]);

const ascii = (bytes: Buffer, start: number, end: number): string =>
  bytes.subarray(start, end).toString('latin1');

/** Signatures of image formats the pipeline refuses, checked only when no accepted one matched. */
const UNSUPPORTED: Array<{ name: string; matches: (head: Buffer) => boolean }> = [
  {
    name: 'JPEG 2000',
    matches: (h) => ascii(h, 4, 8) === 'jP  ' || h.readUInt32BE(0) === 0xff4fff51,
  },
  {
    name: 'JPEG XL',
    matches: (h) => h.readUInt16BE(0) === 0xff0a || ascii(h, 4, 8) === 'JXL ',
  },
  // "BM" alone would also match a text file: the four reserved header bytes of a BMP are zero.
  { name: 'BMP', matches: (h) => ascii(h, 0, 2) === 'BM' && h.readUInt32LE(6) === 0 },
  { name: 'ICO', matches: (h) => h.readUInt32BE(0) === 0x00000100 || h.readUInt32BE(0) === 0x00000200 },
  { name: 'PSD', matches: (h) => ascii(h, 0, 4) === '8BPS' },
  { name: 'PDF', matches: (h) => ascii(h, 0, 5) === '%PDF-' },
  { name: 'PostScript', matches: (h) => ascii(h, 0, 4) === '%!PS' },
  { name: 'OpenEXR', matches: (h) => h.readUInt32BE(0) === 0x762f3101 },
  { name: 'QOI', matches: (h) => ascii(h, 0, 4) === 'qoif' },
  { name: 'Netpbm', matches: (h) => /^P[1-7]\s$/.test(ascii(h, 0, 3)) },
];

/**
 * Identifies a file by its first bytes, before any decoder sees it: only accepted containers are
 * handed to libvips, so it never parses SVG, text or formats we would refuse anyway.
 */
export function sniffSignature(bytes: Buffer): Signature {
  // Padded so that every check below can read its bytes; a short file simply matches nothing.
  const head = Buffer.alloc(32);
  bytes.copy(head, 0, 0, 32);

  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return accepted('jpeg');
  if (head.readUInt32BE(0) === 0x89504e47 && head.readUInt32BE(4) === 0x0d0a1a0a) return accepted('png');
  if (/^GIF8[79]a$/.test(ascii(head, 0, 6))) return accepted('gif');
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return accepted('webp');
  if (['II*\0', 'MM\0*', 'II+\0', 'MM\0+'].includes(ascii(head, 0, 4))) return accepted('tiff');
  if (ascii(head, 4, 8) === 'ftyp') {
    const brands = fileTypeBrands(bytes);
    if (brands.some((brand) => HEIF_BRANDS.has(brand))) return accepted('heif');
    return {
      kind: 'unsupported',
      name: `ISO base media ("${brands[0]?.trim() ?? '?'}", a video or raw format)`,
    };
  }

  const known = UNSUPPORTED.find((signature) => signature.matches(head));
  if (known) return { kind: 'unsupported', name: known.name };
  if (looksLikeText(bytes)) {
    return { kind: 'unsupported', name: /<svg[\s>]/i.test(ascii(bytes, 0, 4096)) ? 'SVG' : 'text' };
  }
  return { kind: 'unknown' };
}

function accepted(container: AcceptedContainer): Signature {
  return { kind: 'accepted', container };
}

/** The major brand and the compatible brands of the leading `ftyp` box. */
function fileTypeBrands(bytes: Buffer): string[] {
  const boxSize = Math.min(bytes.readUInt32BE(0), bytes.length);
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= boxSize; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
  return brands;
}

/**
 * Whether the first kilobyte is text: no control bytes other than whitespace (bytes from 0x80 up
 * are allowed, for UTF-8). Images have binary headers, so SVG, HTML, JSON or CSV land here.
 */
function looksLikeText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  for (const byte of bytes.subarray(0, 1024)) {
    const whitespace = byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d;
    if ((byte < 0x20 && !whitespace) || byte === 0x7f) return false;
  }
  return true;
}
