import { sharp } from '@aperture/imaging';
import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { clearMetadata } from './clear';
import { findMetadataLeaks } from './leaks';

const corpus = (path: string) => readFileSync(corpusPath(path));
const kinds = async (bytes: Buffer, allowed: string[] = []) =>
  [...new Set((await findMetadataLeaks(bytes, allowed)).map((leak) => leak.kind))].sort();

describe('findMetadataLeaks', () => {
  it('finds GPS and maker notes in a camera file, none after clearing', async () => {
    const original = corpus('cameras/jpg/gps/DSCN0010.jpg');
    expect(await kinds(original)).toEqual(['gps', 'maker_notes']);
    const cleared = await clearMetadata(original, original, 85);
    expect(await kinds(cleared.bytes)).toEqual([]);
  });

  it('finds XMP history and the author of an edited file', async () => {
    expect(await kinds(corpus('cameras/jpg/xmp/no_exif.jpg'))).toEqual(['artist_name', 'xmp_history']);
  });

  it('finds planted serial numbers, owner and artist names; allows whitelisted names', async () => {
    const planted = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } })
      .jpeg()
      .withExif({
        IFD0: { Artist: 'Jane Roe' },
        IFD2: { BodySerialNumber: '0042', CameraOwnerName: 'Jane Roe' },
      })
      .toBuffer();
    expect(await kinds(planted)).toEqual(['artist_name', 'owner_name', 'serial_number']);
    expect(await kinds(planted, ['jane roe'])).toEqual(['serial_number']);
    const leaks = await findMetadataLeaks(planted, []);
    // Where, never the value.
    expect(JSON.stringify(leaks)).not.toContain('0042');
  });

  it('keeps whitelisted fields as XMP when asked, and that is no leak when the name is allowed', async () => {
    const withArtist = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#808080' } })
      .jpeg()
      .withExif({ IFD0: { Artist: 'Studio A', Copyright: '(c) Studio A' } })
      .toBuffer();
    const cleared = await clearMetadata(withArtist, withArtist, 85, { keep: ['copyright', 'artist'] });
    const xmp = (await sharp(cleared.bytes).metadata()).xmp?.toString('utf8') ?? '';
    expect(xmp).toContain('Studio A');
    expect((await sharp(cleared.bytes).metadata()).exif).toBeUndefined();
    expect(await kinds(cleared.bytes, ['Studio A'])).toEqual([]);
    expect(await kinds(cleared.bytes)).toEqual(['artist_name']);
  });

  it('redacts through transformPixels before encoding', async () => {
    const grey = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const cleared = await clearMetadata(grey, grey, 85, {
      transformPixels: ({ data }) => {
        data.fill(0);
      },
    });
    const { data } = await sharp(cleared.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(Math.max(...data)).toBe(0);
  });
});
