import { sharp } from '@aperture/imaging';
import { defaultPolicy, type QualityPolicy } from '@aperture/policy';
import { corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { assessImage, type DuplicateScope } from './assess';
import { MemoryDuplicateIndex } from './duplicates';

// Real files, read in place from the shared corpus (never copied into the repository).
const corpus = (path: string) => readFileSync(corpusPath(path));
const policy = (overrides: Partial<QualityPolicy> = {}): QualityPolicy => ({
  ...defaultPolicy.quality,
  ...overrides,
});
const codes = async (bytes: Buffer, overrides: Partial<QualityPolicy> = {}) =>
  (await assessImage(bytes, policy(overrides))).reasons.map((r) => r.code);

/** One project's stream: images judged in the order they are passed, one duplicate index. */
function project() {
  const index = new MemoryDuplicateIndex();
  const seen = new Map<string, Buffer>();
  return async (imageId: string, bytes: Buffer, overrides: Partial<QualityPolicy> = {}) => {
    seen.set(imageId, bytes);
    const scope: DuplicateScope = {
      index,
      imageId,
      order: String(seen.size).padStart(6, '0'),
      loadImage: async (id) => seen.get(id),
    };
    return assessImage(bytes, policy(overrides), scope);
  };
}

// Decoding real photos is slow on a shared 2-core machine; each test waits up to a minute.
jest.setTimeout(60_000);

describe('assessImage', () => {
  it('accepts a normal camera JPEG and carries every score', async () => {
    const assessment = await assessImage(corpus('cameras/jpg/exif-org/canon-ixus.jpg'), policy());
    expect(assessment).toMatchObject({
      accepted: true,
      reasons: [],
      result: { format: 'jpeg', width: 640, height: 480, frames: 1, duplicateOf: '' },
    });
    const metrics = assessment.result?.metrics;
    expect(Object.keys(metrics ?? {}).sort()).toEqual(
      [
        'aspectRatio',
        'blackLevel',
        'blurAngle',
        'blurWidth',
        'blurWidthAcross',
        'brightnessP1',
        'brightnessP5',
        'brightnessP50',
        'brightnessP95',
        'brightnessP99',
        'clipped',
        'colourfulness',
        'contrast',
        'edgeStep',
        'entropy',
        'judgedLongSide',
      ].sort(),
    );
    expect(assessment.result?.fingerprint[0]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reports dimensions as displayed, EXIF orientation applied', async () => {
    const { result } = await assessImage(corpus('cameras/jpg/orientation/portrait_6.jpg'), policy());
    expect(result).toMatchObject({ width: 450, height: 600 });
  });

  it('judges the first frame of an animation and counts the frames', async () => {
    const assessment = await assessImage(corpus('formats/animated-loop-3.webp'), policy());
    expect(assessment.result).toMatchObject({ format: 'webp', frames: 10 });
  });

  it.each([
    'formats/truncated.jpg',
    'formats/truncated.png',
    'formats/corrupt-header.jpg',
    'cameras/jpg/corrupted.jpg',
  ])('rejects %s as corrupt', async (path) => {
    expect(await codes(corpus(path))).toEqual(['corrupt']);
  });

  it('rejects text, JPEG 2000 and SVG as unsupported_format', async () => {
    expect(await codes(Buffer.from('this is not an image, just some text'))).toEqual(['unsupported_format']);
    expect(await codes(corpus('formats/relax.jp2'))).toEqual(['unsupported_format']);
    expect(await codes(corpus('formats/check.svg'))).toEqual(['unsupported_format']);
  });

  it('refuses a header that claims too many pixels as too_large, and honours the project maximum', async () => {
    expect(await codes(corpus('formats/giant-image.jpg'))).toEqual(['too_large']);
    expect(await codes(corpus('formats/65536-uint32-limit.png'))).toEqual(['too_large']);
    expect(await codes(corpus('cameras/jpg/gps/DSCN0010.jpg'), { maxPixels: 100_000 })).toEqual([
      'too_large',
    ]);
  });

  it('decodes HEIC from phones (through libheif) and judges it like any photo', async () => {
    const assessment = await assessImage(corpus('cameras/heic/mobile/iphone_13_pro_max.HEIC'), policy());
    expect(assessment.result?.format).toBe('heic');
    expect(assessment.result?.metrics?.blurWidth).toBeGreaterThan(0);
  }, 30_000);

  it('rejects too_small and odd_aspect_ratio from the displayed dimensions', async () => {
    expect(await codes(corpus('formats/p3.png'))).toEqual(expect.arrayContaining(['too_small']));
    expect(await codes(corpus('cameras/jpg/gps/DSCN0010.jpg'), { minWidth: 1000 })).toEqual(['too_small']);
    const banner = await sharp(corpus('cameras/jpg/gps/DSCN0010.jpg'))
      .resize(640, 100, { fit: 'cover' })
      .toBuffer();
    expect(await codes(banner)).toEqual(['odd_aspect_ratio']);
    expect(await codes(banner, { maxAspectRatio: 8 })).toEqual([]);
  });

  it('names each pixel defect of a degraded real photo, with the score and threshold in the message', async () => {
    const photo = corpus('cameras/jpg/gps/DSCN0021.jpg');
    const blurred = await sharp(photo).blur(6).toBuffer();
    const dark = await sharp(photo).linear(0.1, 0).toBuffer();
    const flat = await sharp(photo).linear(0.15, 110).toBuffer();
    const grey = await sharp(photo).greyscale().toColourspace('srgb').jpeg().toBuffer();
    expect(await codes(blurred)).toEqual(['blurry']);
    expect(await codes(dark)).toContain('underexposed');
    expect(await codes(flat)).toEqual(['low_contrast']);
    expect(await codes(grey)).toEqual([]);
    expect(await codes(grey, { rejectGreyscale: true })).toEqual(['greyscale']);
    const [reason] = (await assessImage(blurred, policy())).reasons;
    expect(reason?.message).toMatch(
      /^edges are blurred \d+\.\d\d px wide \(at \d+°\) at the delivered size, above the project maximum 1\.4 px$/,
    );
  });

  it('calls a blank frame low_information rather than blurry', async () => {
    const wall = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#8a8478' } })
      .jpeg()
      .toBuffer();
    expect(await codes(wall)).toEqual(['low_information', 'low_contrast']);
  });

  it('finds a pixel-identical copy in another format as a duplicate of the earlier image', async () => {
    const judge = project();
    const original = corpus('cameras/jpg/gps/DSCN0025.jpg');
    const asPng = await sharp(original).png().toBuffer();
    expect((await judge('first', original)).accepted).toBe(true);
    const copy = await judge('second', asPng);
    expect(copy).toMatchObject({
      accepted: false,
      reasons: [{ code: 'duplicate' }],
      result: { duplicateOf: 'first', duplicateDistance: 0 },
    });
  });

  it('finds edited copies as near duplicates, and keeps a merely similar photo', async () => {
    const judge = project();
    const original = corpus('cameras/jpg/gps/DSCN0025.jpg');
    expect((await judge('original', original)).accepted).toBe(true);
    const edits: Record<string, Buffer> = {
      resized: await sharp(original).resize(320).jpeg({ quality: 50 }).toBuffer(),
      mirrored: await sharp(original).flop().toBuffer(),
      turned: await sharp(original).rotate(90).toBuffer(),
      cropped: await sharp(original).extract({ left: 30, top: 20, width: 580, height: 440 }).toBuffer(),
    };
    for (const [name, bytes] of Object.entries(edits)) {
      // Each edit in a project holding only the original (among several copies, the nearest is named).
      const alone = project();
      await alone('original', original);
      expect({ name, ...(await alone(name, bytes)) }).toMatchObject({
        name,
        accepted: false,
        reasons: [{ code: 'near_duplicate' }],
        result: { duplicateOf: 'original' },
      });
    }
    // Another frame of the same GPS walk is a different picture.
    expect((await judge('neighbour', corpus('cameras/jpg/gps/DSCN0027.jpg'))).accepted).toBe(true);
    // A project that allows near duplicates keeps the copy but still says what it resembles.
    const smaller = await sharp(original).resize(280).jpeg({ quality: 70 }).toBuffer();
    const kept = await judge('kept', smaller, { rejectNearDuplicates: false });
    expect(kept).toMatchObject({ accepted: true, result: { duplicateOf: 'original' } });
  });

  it('does not index an image it rejects for other reasons', async () => {
    const judge = project();
    const blurred = await sharp(corpus('cameras/jpg/gps/DSCN0029.jpg')).blur(6).toBuffer();
    expect((await judge('blurred', blurred)).reasons.map((r) => r.code)).toEqual(['blurry']);
    expect(await judge('again', blurred, { maxBlurWidth: 100, maxBlurAnisotropy: 100 })).toMatchObject({
      accepted: true,
      result: { duplicateOf: '' },
    });
  });

  it('gives every reason that applies: a blurred copy of an earlier photo is blurry and a near duplicate', async () => {
    const judge = project();
    const original = corpus('cameras/jpg/gps/DSCN0029.jpg');
    expect((await judge('original', original)).accepted).toBe(true);
    const blurred = await sharp(original).blur(3).toBuffer();
    const copy = await judge('blurred', blurred);
    expect(copy.reasons.map((r) => r.code)).toEqual(['blurry', 'near_duplicate']);
    expect(copy.result).toMatchObject({ duplicateOf: 'original' });
    // Looked up, not recorded: a later copy still names the original, never the refused one.
    expect((await judge('again', blurred)).result).toMatchObject({ duplicateOf: 'original' });
  });
});
