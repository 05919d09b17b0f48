import { decodeOptions, MAX_INPUT_PIXELS, sharp } from './sharp';

describe('sharp configuration', () => {
  it('refuses to decode more than MAX_INPUT_PIXELS', async () => {
    const side = Math.ceil(Math.sqrt(MAX_INPUT_PIXELS)) + 1;
    // A PNG header is enough: sharp checks the declared size before decoding pixels.
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    png.writeUInt32BE(side, 16);
    png.writeUInt32BE(side, 20);
    await expect(sharp(png, decodeOptions).raw().toBuffer()).rejects.toThrow(/pixel limit/i);
  });

  it('runs libvips with one thread per image and no cache', () => {
    expect(sharp.concurrency()).toBe(1);
    expect(sharp.cache().files.max).toBe(0);
  });
});
