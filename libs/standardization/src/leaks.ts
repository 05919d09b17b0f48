// The compliance stage's defence in depth: what identifying metadata a derivative still carries,
// read through exifr (the same adapter as metadata.ts; no hand parsing).
import exifr from 'exifr';

type Segments = Record<string, Record<string, unknown> | undefined>;

/** One kind of identifying metadata left in an image. */
export interface MetadataLeak {
  /** gps, serial_number, owner_name, artist_name, maker_notes, xmp_history. */
  kind: string;
  /** Where it was found, for example "exif.BodySerialNumber" (never the value: it is personal data). */
  where: string;
}

const SERIAL_TAGS = [
  'SerialNumber',
  'BodySerialNumber',
  'LensSerialNumber',
  'CameraSerialNumber',
  'InternalSerialNumber',
];
const OWNER_TAGS = ['CameraOwnerName', 'OwnerName'];
const HISTORY_TAGS = ['History', 'DerivedFrom', 'Ingredients', 'Pantry', 'OriginalDocumentID'];
const XMP_MEDIA_MANAGEMENT = ['xmpMM', 'xapMM'];

const names = (value: unknown): string[] => {
  if (typeof value === 'string') return [value.trim()].filter(Boolean);
  if (Array.isArray(value)) return value.flatMap(names);
  if (value && typeof value === 'object' && 'value' in value) return names(value.value);
  return [];
};

/**
 * Lists the identifying metadata `bytes` still carry: GPS coordinates, camera or lens serial
 * numbers, owner or artist names that are not in `allowedNames` (case-insensitive), maker notes, or
 * XMP editing history. Unparseable metadata counts as a leak of its own ("unreadable"): a block the
 * check cannot read is a block it cannot vouch for.
 */
export async function findMetadataLeaks(
  bytes: Buffer,
  allowedNames: readonly string[],
): Promise<MetadataLeak[]> {
  let segments: Segments;
  try {
    segments =
      ((await exifr.parse(bytes, {
        tiff: true,
        ifd0: {},
        ifd1: false,
        exif: {},
        gps: {},
        interop: false,
        makerNote: true,
        userComment: false,
        xmp: true,
        iptc: true,
        icc: false,
        jfif: false,
        ihdr: false,
        mergeOutput: false,
        multiSegment: true,
        sanitize: true,
      })) as Segments | undefined) ?? {};
  } catch {
    return [{ kind: 'unreadable', where: 'metadata' }];
  }
  const leaks: MetadataLeak[] = [];
  const allowed = new Set(allowedNames.map((name) => name.trim().toLowerCase()));
  const gps = segments['gps'];
  if (
    gps &&
    (gps['GPSLatitude'] !== undefined || gps['GPSLongitude'] !== undefined || gps['latitude'] !== undefined)
  )
    leaks.push({ kind: 'gps', where: 'gps' });
  const xmpExif = segments['exif'] ?? {};
  for (const [segment, values] of Object.entries(segments)) {
    if (!values) continue;
    for (const tag of SERIAL_TAGS)
      if (values[tag] !== undefined && names(values[tag]).length > 0)
        leaks.push({ kind: 'serial_number', where: `${segment}.${tag}` });
    for (const tag of OWNER_TAGS)
      if (names(values[tag]).some((name) => !allowed.has(name.toLowerCase())))
        leaks.push({ kind: 'owner_name', where: `${segment}.${tag}` });
  }
  const artists: Array<[string, unknown]> = [
    ['ifd0.Artist', segments['ifd0']?.['Artist']],
    ['ifd0.XPAuthor', segments['ifd0']?.['XPAuthor']],
    ['dc.creator', segments['dc']?.['creator']],
    ['iptc.Byline', segments['iptc']?.['Byline']],
  ];
  for (const [where, value] of artists)
    if (names(value).some((name) => !allowed.has(name.toLowerCase())))
      leaks.push({ kind: 'artist_name', where });
  if (segments['makerNote'] !== undefined || xmpExif['MakerNote'] !== undefined)
    leaks.push({ kind: 'maker_notes', where: 'exif.MakerNote' });
  for (const namespace of XMP_MEDIA_MANAGEMENT)
    for (const tag of HISTORY_TAGS)
      if (segments[namespace]?.[tag] !== undefined)
        leaks.push({ kind: 'xmp_history', where: `${namespace}.${tag}` });
  return leaks;
}
