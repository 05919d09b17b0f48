const GPS_IFD_POINTER = 0x8825;
const GPS_LATITUDE = 0x0002;
const GPS_LONGITUDE = 0x0004;

/**
 * True when an EXIF block (as sharp's metadata().exif returns it: "Exif\0\0" then a TIFF
 * structure) has a GPS IFD carrying a latitude or a longitude. Malformed EXIF counts as no GPS
 * (the block is stripped anyway); offsets are bounds-checked, never trusted.
 */
export function exifHasGps(exif: Buffer | undefined): boolean {
  if (!exif || exif.length < 8) return false;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return false;
  const little = order === 'II';
  const u16 = (at: number) =>
    at + 2 <= tiff.length ? (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at)) : -1;
  const u32 = (at: number) =>
    at + 4 <= tiff.length ? (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at)) : -1;
  /** The tags of the IFD at `offset`, with each entry's value field position. */
  const entries = (offset: number): Array<{ tag: number; valueAt: number }> => {
    const count = u16(offset);
    if (offset < 8 || count <= 0) return [];
    const found = [];
    for (let i = 0; i < count && offset + 2 + (i + 1) * 12 <= tiff.length; i++) {
      const at = offset + 2 + i * 12;
      found.push({ tag: u16(at), valueAt: at + 8 });
    }
    return found;
  };
  const pointer = entries(u32(4)).find((entry) => entry.tag === GPS_IFD_POINTER);
  if (!pointer) return false;
  return entries(u32(pointer.valueAt)).some(
    (entry) => entry.tag === GPS_LATITUDE || entry.tag === GPS_LONGITUDE,
  );
}
