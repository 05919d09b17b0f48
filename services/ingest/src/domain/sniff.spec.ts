import { corpusPath } from '@aperture/testing';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { sniffImageType } from './sniff';

const bytes = (...values: Array<number | string>): Buffer =>
  Buffer.concat(
    values.map((value) => (typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from([value]))),
  );

/** An ISO-BMFF ftyp box: size, "ftyp", major brand, minor version, compatible brands. */
const ftyp = (major: string, ...compatible: string[]): Buffer => {
  const size = 16 + 4 * compatible.length;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(size);
  return Buffer.concat([
    header,
    Buffer.from(`ftyp${major}`, 'latin1'),
    Buffer.alloc(4),
    Buffer.from(compatible.join(''), 'latin1'),
  ]);
};

describe('sniffImageType: accepted formats from their first bytes', () => {
  it.each([
    ['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'JFIF'), 'image/jpeg'],
    ['PNG', bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'IHDR'), 'image/png'],
    ['GIF87a', bytes('GIF87a', 1, 0, 1, 0), 'image/gif'],
    ['GIF89a', bytes('GIF89a', 1, 0, 1, 0), 'image/gif'],
    ['WebP', bytes('RIFF', 0x24, 0, 0, 0, 'WEBPVP8 '), 'image/webp'],
    ['TIFF little-endian', bytes('II', 0x2a, 0, 8, 0, 0, 0), 'image/tiff'],
    ['TIFF big-endian', bytes('MM', 0, 0x2a, 0, 0, 0, 8), 'image/tiff'],
    ['HEIC', ftyp('heic', 'mif1', 'heic'), 'image/heif'],
    ['heix', ftyp('heix', 'mif1'), 'image/heif'],
    ['hevc', ftyp('hevc', 'msf1'), 'image/heif'],
    ['heim', ftyp('heim'), 'image/heif'],
    ['heis', ftyp('heis'), 'image/heif'],
    ['mif1 alone', ftyp('mif1'), 'image/heif'],
    ['msf1 alone', ftyp('msf1'), 'image/heif'],
    ['AVIF', ftyp('avif', 'mif1', 'miaf'), 'image/avif'],
    ['AVIF sequence', ftyp('avis', 'msf1'), 'image/avif'],
    ['mif1 with an avif compatible brand', ftyp('mif1', 'avif', 'miaf'), 'image/avif'],
  ])('%s', (_name, head, contentType) => {
    expect(sniffImageType(head)).toMatchObject({ accepted: true, contentType });
  });
});

describe('sniffImageType: refused, naming what was detected', () => {
  it.each([
    ['an empty file', Buffer.alloc(0), 'an empty file'],
    ['JPEG 2000 codestream', bytes(0xff, 0x4f, 0xff, 0x51, 0, 0x2f), 'JPEG 2000 (codestream)'],
    ['JPEG 2000 file', bytes(0, 0, 0, 0x0c, 'jP  ', 0x0d, 0x0a, 0x87, 0x0a), 'JPEG 2000'],
    ['JPEG 2000 in ftyp', ftyp('jp2 ', 'jp2 '), 'JPEG 2000'],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'SVG'],
    ['SVG with an XML prolog and a BOM', Buffer.from('\uFEFF  <?xml version="1.0"?>\n<svg></svg>'), 'SVG'],
    ['XML', Buffer.from('<?xml version="1.0"?><note/>'), 'XML'],
    ['PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj'), 'PDF'],
    ['HTML', Buffer.from('<!DOCTYPE html><html></html>'), 'HTML'],
    ['text', Buffer.from('just some words, not an image\n'), 'text'],
    ['BMP', bytes('BM', 0x36, 0, 0, 0), 'BMP'],
    ['an MP4 video', ftyp('isom', 'iso2', 'mp41'), 'an ISO media file of brand "isom" (video or other)'],
    ['a RIFF WAVE', bytes('RIFF', 0x24, 0, 0, 0, 'WAVEfmt '), 'a RIFF file that is not WebP'],
    ['a ZIP archive', bytes('PK', 3, 4, 0x14, 0), 'a ZIP archive'],
    ['random binary', bytes(0x00, 0x01, 0x02, 0x03, 0xfe, 0xfd, 0x00), 'unrecognised binary data'],
    ['two bytes of a JPEG', bytes(0xff, 0xd8), 'unrecognised binary data'],
    ['a truncated WebP header', bytes('RIFF', 0x24, 0, 0), 'a RIFF file that is not WebP'],
  ])('%s', (_name, head, detected) => {
    expect(sniffImageType(head)).toEqual({ accepted: false, detected });
  });
});

// Real files, read in place (never copied into the repo): the first 4096 bytes, as the blob store gives them.
const corpus = corpusPath();
const expectedByExtension: Record<string, string | null> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.heic': 'image/heif',
  '.heif': 'image/heif',
  '.avif': 'image/avif',
  '.jp2': null,
  '.svg': null,
};

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function head(path: string): Buffer {
  const buffer = Buffer.alloc(4096);
  const fd = openSync(path, 'r');
  try {
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

const describeCorpus = existsSync(corpus) ? describe : describe.skip;

describeCorpus('sniffImageType on the shared corpus', () => {
  const files = existsSync(corpus) ? listFiles(corpus) : [];
  const cases = files.map((path) => [relative(corpus, path), path] as const);

  it('finds the corpus files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(cases)('%s', (_name, path) => {
    const expected = expectedByExtension[extname(path).toLowerCase()];
    expect(expected).toBeDefined(); // a new kind of file in the corpus needs an expectation here
    const result = sniffImageType(head(path));
    if (expected === null) expect(result.accepted).toBe(false);
    else expect(result).toMatchObject({ accepted: true, contentType: expected });
  });

  it('names JPEG 2000 and SVG when refusing them', () => {
    expect(sniffImageType(head(join(corpus, 'formats/relax.jp2')))).toEqual({
      accepted: false,
      detected: 'JPEG 2000 (codestream)',
    });
    expect(sniffImageType(head(join(corpus, 'formats/check.svg')))).toEqual({
      accepted: false,
      detected: 'SVG',
    });
  });
});
