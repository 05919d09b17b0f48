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
