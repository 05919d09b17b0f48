import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { sharp } from '@aperture/imaging';
import { clearMetadata } from './clear';
import { exifHasGps } from './gps';

// Real files, read in place from the shared corpus (never copied into the repository).
const corpus = (path: string) => readFileSync(corpusPath(path));
const exifOf = async (bytes: Buffer) => (await sharp(bytes).metadata()).exif;

describe('exifHasGps', () => {
  it.each([
    'cameras/jpg/gps/DSCN0010.jpg',
    'cameras/jpg/hdr/iphone_hdr_YES.jpg',
    'cameras/jpg/mobile/HMD_Nokia_8.3_5G.jpg',
  ])('finds the GPS coordinates of %s (little- and big-endian EXIF)', async (path) => {
    expect(exifHasGps(await exifOf(corpus(path)))).toBe(true);
  });

  it.each(['cameras/jpg/Canon_40D.jpg', 'cameras/jpg/exif-org/canon-ixus.jpg'])(
    'finds none in %s',
    async (path) => {
      expect(exifHasGps(await exifOf(corpus(path)))).toBe(false);
    },
  );

  it('treats missing or malformed EXIF as no GPS', () => {
    expect(exifHasGps(undefined)).toBe(false);
    expect(exifHasGps(Buffer.from('Exif\0\0II*\0\xff\xff\xff\xff', 'latin1'))).toBe(false);
    expect(exifHasGps(Buffer.from('garbage that is not tiff'))).toBe(false);
  });
});

describe('clearMetadata', () => {
  it('strips GPS and every identifying block from a GPS-tagged camera JPEG', async () => {
    const original = corpus('cameras/jpg/gps/DSCN0010.jpg');
    // The worst case: a derivative that still carries all of the camera's metadata.
    const cleared = await clearMetadata(original, original, 85);
    expect(cleared).toMatchObject({
      format: 'jpeg',
      contentType: 'image/jpeg',
      extension: 'jpg',
      hadGps: true,
    });
    expect(cleared.removedMetadata).toEqual(['exif', 'gps', 'xmp']);
    const out = await sharp(cleared.bytes).metadata();
    expect([out.exif, out.xmp, out.iptc, out.icc]).toEqual([undefined, undefined, undefined, undefined]);
    expect(out).toMatchObject({ width: 640, height: 480 });
  });

  it('reports the GPS of the original upload when the derivative has none left', async () => {
    const original = corpus('cameras/jpg/gps/DSCN0010.jpg');
    const derivative = await sharp(original).resize(320).jpeg().toBuffer();
    const cleared = await clearMetadata(derivative, original, 85);
    expect(cleared.hadGps).toBe(true);
    expect(cleared.removedMetadata).toContain('gps');
  });

  it('removes an ICC profile and reports no GPS for an image without it', async () => {
    const original = corpus('cameras/jpg/orientation/landscape_2.jpg');
    const cleared = await clearMetadata(original, original, 85);
    expect(cleared.hadGps).toBe(false);
    expect(cleared.removedMetadata).toEqual(['exif', 'icc']);
    expect((await sharp(cleared.bytes).metadata()).icc).toBeUndefined();
  });

  it('keeps a PNG derivative a PNG', async () => {
    const png = corpus('formats/with-alpha.png');
    const cleared = await clearMetadata(png, png, 85);
    expect(cleared).toMatchObject({ format: 'png', extension: 'png', removedMetadata: ['exif'] });
  });
});
