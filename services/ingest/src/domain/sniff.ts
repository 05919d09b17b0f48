/**
 * Content sniffing: the media type of an upload comes from its first bytes, never from the name or
 * the Content-Type a client claimed. Only the formats the pipeline can decode are accepted.
 */

export type SniffResult =
  { accepted: true; contentType: string; format: string } | { accepted: false; detected: string };

/** The formats accepted, for messages. */
export const ACCEPTED_FORMATS = 'JPEG, PNG, GIF, WebP, TIFF, HEIF/HEIC, AVIF';

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
/** Generic HEIF structure brands: the real format may be named by a compatible brand. */
const STRUCTURE_BRANDS = new Set(['mif1', 'msf1']);

const accept = (format: string, contentType: string): SniffResult => ({
  accepted: true,
  format,
  contentType,
});
const refuse = (detected: string): SniffResult => ({ accepted: false, detected });

function startsWith(head: Buffer, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((byte, index) => head[offset + index] === byte);
}

function ascii(head: Buffer, start: number, end: number): string {
  return head.length >= end ? head.toString('latin1', start, end) : '';
}

/** Decides the type of an upload from its first bytes (up to 4096; fewer for a short file). */
export function sniffImageType(head: Buffer): SniffResult {
  if (head.length === 0) return refuse('an empty file');
  if (startsWith(head, [0xff, 0xd8, 0xff])) return accept('jpeg', 'image/jpeg');
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return accept('png', 'image/png');
  const six = ascii(head, 0, 6);
  if (six === 'GIF87a' || six === 'GIF89a') return accept('gif', 'image/gif');
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return accept('webp', 'image/webp');
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) {
    return accept('tiff', 'image/tiff');
  }
  if (ascii(head, 4, 8) === 'ftyp') return sniffIsoBmff(head);
  return refuse(describeRefused(head));
}

/** ISO base media files: the major brand, then the compatible brands, say what the file is. */
function sniffIsoBmff(head: Buffer): SniffResult {
  const major = ascii(head, 8, 12);
  const boxSize = head.length >= 4 ? head.readUInt32BE(0) : 0;
  const end = Math.min(head.length, boxSize >= 16 ? boxSize : 16);
  const compatible: string[] = [];
  for (let offset = 16; offset + 4 <= end; offset += 4) compatible.push(ascii(head, offset, offset + 4));
  const brands = STRUCTURE_BRANDS.has(major) ? [...compatible, major] : [major, ...compatible];
  for (const brand of brands) {
    if (AVIF_BRANDS.has(brand)) return accept('avif', 'image/avif');
    if (HEIF_BRANDS.has(brand) && !STRUCTURE_BRANDS.has(brand)) return accept('heif', 'image/heif');
  }
  if (brands.some((brand) => STRUCTURE_BRANDS.has(brand))) return accept('heif', 'image/heif');
  if (major === 'jp2 ' || major === 'jpx ' || major === 'jpm ') return refuse('JPEG 2000');
  return refuse(
    `an ISO media file of brand "${major.replace(/[^\x20-\x7e]/g, '?').trim()}" (video or other)`,
  );
}

/** A person-readable name for what a refused upload looks like. */
function describeRefused(head: Buffer): string {
  if (startsWith(head, [0xff, 0x4f, 0xff, 0x51])) return 'JPEG 2000 (codestream)';
  if (startsWith(head, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'JPEG 2000';
  if (ascii(head, 0, 5) === '%PDF-') return 'PDF';
  if (ascii(head, 0, 2) === 'BM') return 'BMP';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  if (startsWith(head, [0x1f, 0x8b])) return 'gzip data';
  if (startsWith(head, [0x49, 0x49, 0x2b, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2b]))
    return 'BigTIFF';
  if (ascii(head, 0, 4) === 'RIFF') return 'a RIFF file that is not WebP';
  const text = head
    .toString('utf8', 0, Math.min(head.length, 512))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'))) return 'SVG';
  if (text.startsWith('<?xml')) return 'XML';
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) return 'HTML';
  if (isMostlyText(head)) return 'text';
  return 'unrecognised binary data';
}

function isMostlyText(head: Buffer): boolean {
  const sample = head.subarray(0, Math.min(head.length, 512));
  try {
    // Valid UTF-8 (a character cut at the end of the sample is fine in stream mode)...
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
  } catch {
    return false;
  }
  // ...made of printable characters and line breaks.
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) control++;
  }
  return control / sample.length < 0.05;
}
