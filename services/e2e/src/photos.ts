import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Real camera photos of the corpus (0.3 to 5 megapixels, read in place), for the runs that push
 * many uploads through the pipeline: the chaos run and the pipeline benchmark.
 */
export const CAMERA_PHOTOS = [
  'cameras/jpg/exif-org/canon-ixus.jpg',
  'cameras/jpg/exif-org/fujifilm-dx10.jpg',
  'cameras/jpg/exif-org/kodak-dc240.jpg',
  'cameras/jpg/exif-org/nikon-e950.jpg',
  'cameras/jpg/exif-org/olympus-c960.jpg',
  'cameras/jpg/exif-org/ricoh-rdc5300.jpg',
  'cameras/jpg/exif-org/sanyo-vpcsx550.jpg',
  'cameras/jpg/exif-org/sony-d700.jpg',
  'cameras/jpg/gps/DSCN0010.jpg',
  'cameras/jpg/gps/DSCN0021.jpg',
];

/**
 * Phone-sized photos of the corpus (8 to 12.2 megapixels, read in place): the JPEGs of modern
 * phones and cameras and the two HEIC files of that size (the corpus's 16 MP HEIFs are larger than
 * a phone's usual 12 MP and left out).
 */
export const PHONE_PHOTOS = [
  'cameras/jpg/tests/42_IndexError.jpg', // 4032x3024, 12.2 MP
  'cameras/jpg/tests/30-type_error.jpg', // 3872x2403, 9.3 MP
  'cameras/jpg/tests/67-0_length_string.jpg', // 4032x2012, 8.1 MP
  'cameras/jpg/hdr/iphone_hdr_YES.jpg', // 3264x2448, 8.0 MP
  'cameras/jpg/hdr/iphone_hdr_NO.jpg', // 3264x2448, 8.0 MP
  'cameras/jpg/mobile/HMD_Nokia_8.3_5G.jpg', // 4608x1976, 9.1 MP
  'cameras/jpg/mobile/jolla.jpg', // 3264x2448, 8.0 MP
  'cameras/heic/IMG_5195.HEIC', // 2566x3313, 8.5 MP
  'cameras/heic/mobile/iphone_13_pro_max.HEIC', // 3024x4032, 12.2 MP
];

/**
 * Every JPEG under the corpus's cameras/jpg (its path relative to the corpus), sorted: camera
 * photos from 0.01 to 12 MP, some of them broken on purpose (a realistic upload has those too).
 */
export function cameraJpegs(corpus: string): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(corpus, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/\.jpe?g$/i.test(entry.name)) found.push(child);
    }
  };
  walk('cameras/jpg');
  return found.sort();
}

/**
 * New bytes, same picture: a JPEG gets a comment segment (withJpegComment); an ISO base media file
 * (HEIC, AVIF) a top-level `free` box at its end, which readers skip.
 */
export function withDistinctBytes(image: Buffer, comment: string): Buffer {
  if (image.toString('latin1', 4, 8) !== 'ftyp') return withJpegComment(image, comment);
  const text = Buffer.from(comment, 'latin1');
  const box = Buffer.alloc(8 + text.length);
  box.writeUInt32BE(box.length, 0);
  box.write('free', 4, 'latin1');
  text.copy(box, 8);
  return Buffer.concat([image, box]);
}

/** The JPEG with a comment segment (FF FE) right after its start marker: new bytes, same pixels. */
export function withJpegComment(jpeg: Buffer, comment: string): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return Buffer.concat([jpeg, Buffer.from(comment)]);
  const text = Buffer.from(comment, 'latin1');
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  text.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}
