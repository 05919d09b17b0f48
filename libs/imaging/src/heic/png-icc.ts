import { crc32, deflateSync } from 'node:zlib';

const PNG_SIGNATURE_LENGTH = 8;
/** Length, type, 13 bytes of data and CRC: IHDR is always the first chunk. */
const IHDR_CHUNK_LENGTH = 4 + 4 + 13 + 4;

/**
 * The PNG with an iCCP chunk (the ICC profile) inserted after IHDR, where the PNG specification
 * wants it. Needed because sharp cannot attach a profile to raw pixels without converting them
 * into it (`withIccProfile` transforms); a PNG that carries the profile makes the pipeline read
 * the pixels as what they are.
 */
export function withIccChunk(png: Buffer, icc: Buffer): Buffer {
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('not a PNG: IHDR is not the first chunk');
  // Chunk data: a profile name (Latin-1, NUL-terminated), compression method 0 (zlib), the profile.
  const data = Buffer.concat([Buffer.from('ICC profile\0\0', 'latin1'), deflateSync(icc)]);
  const typeAndData = Buffer.concat([Buffer.from('iCCP', 'latin1'), data]);
  const chunk = Buffer.alloc(4 + typeAndData.length + 4);
  chunk.writeUInt32BE(data.length, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  const afterIhdr = PNG_SIGNATURE_LENGTH + IHDR_CHUNK_LENGTH;
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}
