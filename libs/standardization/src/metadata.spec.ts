import type { ExifTool } from 'exiftool-vendored';
import { sharp } from '@aperture/imaging';
import { standardizeImage } from './standardize';
import { corpus, exiftoolTags, newExifTool, spec } from './testing/helpers';

// Every output is read back with ExifTool, which knows every maker's notes and every XMP schema.
let exiftool: ExifTool;
beforeAll(() => {
  exiftool = newExifTool();
});
afterAll(async () => exiftool.end());

/** Tag groups and names that must never reach a derivative. */
const personal =
  /^(GPS|MakerNotes|Canon|Nikon|Pentax|Sony|Olympus|Fujifilm|Panasonic|Samsung|Ricoh|Kodak|IFD0|ExifIFD|IFD1|InteropIFD|IPTC|Photoshop|XMP-xmpMM|XMP-aux|XMP-exif|XMP-tiff|XMP-photoshop|XMP-crs|ICC)|Serial|Owner|History|Orientation|Latitude|Longitude/i;

describe('metadata', () => {
  it.each([
    ['GPS position', 'cameras/jpg/gps/DSCN0010.jpg', /^GPS:GPSLatitude$/],
    ['camera owner name', 'cameras/jpg/Canon_PowerShot_S40.jpg', /OwnerName$/],
    ['body and lens serial numbers, XMP edit history', 'formats/Landscape_9.jpg', /History|SerialNumber/],
    ['Nikon maker notes', 'cameras/jpg/Nikon_COOLPIX_P1.jpg', /^Nikon:/],
    ['serial number in a 16-bit TIFF', 'formats/tifftag-photoshop.tiff', /SerialNumber/],
  ])(
    'drops the %s (and every other tag) from every format',
    async (_name, path, sourceTag) => {
      const source = corpus(path);
      expect(Object.keys(await exiftoolTags(exiftool, source)).some((key) => sourceTag.test(key))).toBe(true);
      for (const format of ['jpeg', 'webp', 'png', 'avif'] as const) {
        const { bytes, thumbnail } = await standardizeImage(
          source,
          spec({ format, keepMetadata: [], maxLongSide: 256 }),
        );
        for (const output of [bytes, thumbnail!.bytes]) {
          const tags = await exiftoolTags(exiftool, output);
          expect(Object.keys(tags).filter((key) => personal.test(key) || key.startsWith('XMP'))).toEqual([]);
          expect((await sharp(output).metadata()).exif).toBeUndefined();
        }
      }
    },
    60_000,
  );

  it('keeps only the whitelisted fields, as XMP Dublin Core, in every format', async () => {
    // 32-lens_data.jpeg has EXIF Copyright and Artist "Ilya Kurikhin" beside a serial number.
    const source = corpus('cameras/jpg/tests/32-lens_data.jpeg');
    for (const format of ['jpeg', 'webp', 'png', 'avif'] as const) {
      const { bytes, result } = await standardizeImage(
        source,
        spec({ format, keepMetadata: ['copyright', 'artist'] }),
      );
      expect(result.keptMetadata).toEqual(['copyright', 'artist']);
      const tags = await exiftoolTags(exiftool, bytes);
      expect(tags).toMatchObject({ 'XMP-dc:Rights': 'Ilya Kurikhin', 'XMP-dc:Creator': 'Ilya Kurikhin' });
      expect(Object.keys(tags).filter((key) => personal.test(key))).toEqual([]);
    }
    const copyrightOnly = await standardizeImage(source, spec({ keepMetadata: ['copyright'] }));
    const tags = await exiftoolTags(exiftool, copyrightOnly.bytes);
    expect(tags['XMP-dc:Rights']).toBe('Ilya Kurikhin');
    expect(tags['XMP-dc:Creator']).toBeUndefined();
  });

  it('finds whitelisted fields in XMP and IPTC too, and keeps nothing else of them', async () => {
    // no_exif.jpg: creator "CREDIT" in XMP and IPTC only; tifftag-photoshop.tiff: all three blocks.
    const xmpOnly = await standardizeImage(
      corpus('cameras/jpg/xmp/no_exif.jpg'),
      spec({ keepMetadata: ['artist'] }),
    );
    expect(await exiftoolTags(exiftool, xmpOnly.bytes)).toMatchObject({ 'XMP-dc:Creator': 'CREDIT' });
    const tiff = await standardizeImage(
      corpus('formats/tifftag-photoshop.tiff'),
      spec({ keepMetadata: ['copyright', 'artist'] }),
    );
    const tags = await exiftoolTags(exiftool, tiff.bytes);
    expect(tags).toMatchObject({
      'XMP-dc:Rights': '© 2018 - C.B. Vermeulen',
      'XMP-dc:Creator': 'Boudewijn Vermeulen',
    });
    expect(Object.keys(tags).filter((key) => personal.test(key))).toEqual([]);
  });

  it('writes no metadata block at all when nothing whitelisted is present', async () => {
    const { bytes, result } = await standardizeImage(corpus('cameras/jpg/gps/DSCN0010.jpg'), spec());
    const out = await sharp(bytes).metadata();
    expect([out.exif, out.xmp, out.iptc, out.icc]).toEqual([undefined, undefined, undefined, undefined]);
    expect(result.keptMetadata).toEqual([]);
    expect(result.operations.find((o) => o.name === 'strip-metadata')?.params).toEqual({ kept: '' });
  });
});
