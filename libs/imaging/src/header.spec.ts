import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { asDecodeError, ImageDecodeError } from './errors';
import { readImageHeader } from './header';
import { openImage } from './open';
import { sharp } from './sharp';

const MB = 1024 * 1024;

/** A PNG whose IHDR declares width × height (with a valid CRC) over the pixels of an 8×8 image. */
async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29); // the CRC covers the chunk type and data
  return png;
}

async function refusal(bytes: Buffer): Promise<ImageDecodeError> {
  const error: unknown = await readImageHeader(bytes).catch((e: unknown) => e);
  if (!(error instanceof ImageDecodeError))
    throw new Error(`expected an ImageDecodeError, got ${String(error)}`);
  return error;
}

describe('readImageHeader', () => {
  it('refuses a PNG declaring 100000×100000 as too_large from its header, allocating nothing', async () => {
    const png = await pngDeclaring(100_000, 100_000);
    const rssBefore = process.memoryUsage().rss;
    await expect(readImageHeader(png)).rejects.toMatchObject({
      code: 'too_large',
      message: 'the image is 100000×100000 (10,000 MP), more than the limit of 100 MP',
    });
    await expect(openImage(png)).rejects.toMatchObject({ code: 'too_large' });
    // Decoding would need 30 GB; reading the header needs nothing worth measuring.
    expect((process.memoryUsage().rss - rssBefore) / MB).toBeLessThan(32);
  });

  it('applies the caller’s pixel limit', async () => {
    const canon = readFileSync(corpusPath('cameras/jpg/Canon_40D.jpg')); // 100×68
    await expect(readImageHeader(canon, { maxPixels: 6800 })).resolves.toMatchObject({ width: 100 });
    await expect(readImageHeader(canon, { maxPixels: 6799 })).rejects.toMatchObject({ code: 'too_large' });
    await expect(readImageHeader(canon, { maxPixels: 0 })).rejects.toThrow(RangeError);
  });

  it('reads the header of a truncated file; its pixels then fail as corrupt', async () => {
    const truncated = readFileSync(corpusPath('formats/truncated.jpg'));
    await expect(readImageHeader(truncated)).resolves.toMatchObject({ format: 'jpeg', width: 2725 });
    const image = await openImage(truncated);
    const error: unknown = await image
      .pipeline()
      .raw()
      .toBuffer()
      .catch((e: unknown) => e);
    expect(asDecodeError(error)).toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(/^the image data does not decode: .*premature end/i),
    });
  });

  it.each([
    ['JPEG 2000', corpusPath('formats/relax.jp2')],
    ['SVG', corpusPath('formats/check.svg')],
  ])('names %s when refusing it', async (name, file) => {
    expect(await refusal(readFileSync(file))).toMatchObject({
      code: 'unsupported_format',
      message: `${name} files are not accepted; send JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIC`,
    });
  });

  it.each([
    ['PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj', 'latin1')],
    [
      'BMP',
      Buffer.concat([Buffer.from('BM'), Buffer.from([0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0])]),
    ],
    ['JPEG XL', Buffer.from([0xff, 0x0a, 0xfa, 0x7f, 0x01, 0x90, 0x08, 0x06, 0x01, 0x00, 0x48, 0x00])],
    ['text', Buffer.from('id,label\n1,cat\n2,dog\n')],
    [
      'ISO base media ("isom", a video or raw format)',
      Buffer.from('\0\0\0\x18ftypisom\0\0\x02\0isomiso2', 'latin1'),
    ],
  ])('refuses %s as unsupported_format', async (name, bytes) => {
    expect(await refusal(bytes)).toMatchObject({
      code: 'unsupported_format',
      message: expect.stringContaining(name),
    });
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'the file is empty'],
    [
      'random bytes',
      Buffer.from([0x00, 0x13, 0x88, 0xfe, 0x01, 0x02, 0x03, 0x04, 0x9a, 0x00, 0x10, 0x42]),
      'the bytes are not a recognisable image',
    ],
    [
      'a JPEG whose header is cut',
      readFileSync(corpusPath('formats/corrupt-header.jpg')),
      'the image header does not decode: ',
    ],
  ])('refuses %s as corrupt', async (_what, bytes, message) => {
    expect(await refusal(bytes)).toMatchObject({
      code: 'corrupt',
      message: expect.stringContaining(message),
    });
  });
});

describe('asDecodeError', () => {
  it('names libvips’ pixel limit too_large, anything else corrupt, and keeps an ImageDecodeError', () => {
    expect(asDecodeError(new Error('Input image exceeds pixel limit\nvips2png: ...'))).toMatchObject({
      code: 'too_large',
      message: 'the image has more pixels than allowed (Input image exceeds pixel limit)',
    });
    expect(asDecodeError(new Error('VipsJpeg: Premature end of input file\nmore'))).toMatchObject({
      code: 'corrupt',
      message: 'the image data does not decode: VipsJpeg: Premature end of input file',
    });
    const original = new ImageDecodeError('unsupported_format', 'SVG files are not accepted');
    expect(asDecodeError(original)).toBe(original);
  });
});
