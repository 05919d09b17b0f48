// The picture the compliance stage describes, made from a photo file for the benchmark and the
// evaluation: the standardize thumbnail (256 px JPEG of the upright image), decoded to
// DESCRIPTOR_SIDE as services/compliance/src/content/content.ts smallImage does.
import { openImage, sharp } from '@aperture/imaging';

import { DESCRIPTOR_SIDE, type SmallImage } from '../pixels';

export async function thumbnailOf(bytes: Buffer): Promise<Buffer> {
  return (await openImage(bytes))
    .pipeline()
    .resize(256, 256, { fit: 'inside' })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export async function smallOf(thumbnail: Buffer): Promise<SmallImage> {
  const { data, info } = await sharp(thumbnail)
    .resize(DESCRIPTOR_SIDE, DESCRIPTOR_SIDE, { fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}
