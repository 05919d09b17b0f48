// The metadata adapter: what the standardize stage reads from a source file's EXIF, XMP, IPTC and
// ICC blocks, through exifr (no hand parsing). Only the whitelisted fields and the ICC profile's
// description are read; nothing else of the source's metadata ever reaches a derivative.
import type { StandardizeMetadataField } from '@aperture/policy';
import exifr from 'exifr';

export interface SourceMetadata {
  /** The whitelisted fields the source has, non-empty, in whitelist order. */
  fields: Partial<Record<StandardizeMetadataField, string>>;
  /** The embedded ICC profile's description ("Display P3", "U.S. Web Coated (SWOP) v2"), if any. */
  iccDescription?: string;
}

/** The EXIF IFD0 tag each whitelisted field is read from first. */
const exifTagOf: Record<StandardizeMetadataField, string> = {
  copyright: 'Copyright',
  artist: 'Artist',
  description: 'ImageDescription',
};

type Segments = Record<string, Record<string, unknown> | undefined>;

/** Where each field is looked for, first hit wins: EXIF IFD0, then XMP (dc), then IPTC. */
const sources: Record<StandardizeMetadataField, Array<(s: Segments) => unknown>> = {
  copyright: [
    (s) => s['ifd0']?.['Copyright'],
    (s) => s['dc']?.['rights'],
    (s) => s['iptc']?.['CopyrightNotice'],
  ],
  artist: [(s) => s['ifd0']?.['Artist'], (s) => s['dc']?.['creator'], (s) => s['iptc']?.['Byline']],
  description: [
    (s) => s['ifd0']?.['ImageDescription'],
    (s) => s['dc']?.['description'],
    (s) => s['iptc']?.['Caption'],
  ],
};

const MAX_FIELD_LENGTH = 2000;

/**
 * Reads the whitelisted `keep` fields and the ICC description. Metadata that does not parse is
 * treated as absent: a broken EXIF block must not stop an image whose pixels decode.
 */
export async function readSourceMetadata(
  bytes: Buffer,
  keep: readonly StandardizeMetadataField[],
): Promise<SourceMetadata> {
  const wantText = keep.length > 0;
  let segments: Segments;
  try {
    segments =
      ((await exifr.parse(bytes, {
        tiff: wantText,
        ifd0: wantText ? { pick: keep.map((field) => exifTagOf[field]) } : {},
        ifd1: false,
        exif: false,
        gps: false,
        interop: false,
        makerNote: false,
        userComment: false,
        xmp: wantText,
        iptc: wantText ? { pick: ['CopyrightNotice', 'Byline', 'Caption'] } : false,
        icc: { pick: ['ProfileDescription'] },
        jfif: false,
        ihdr: false,
        mergeOutput: false,
        sanitize: true,
      })) as Segments | undefined) ?? {};
  } catch {
    segments = {};
  }
  const fields: SourceMetadata['fields'] = {};
  for (const field of keep) {
    for (const read of sources[field]) {
      const text = plainText(read(segments));
      if (text) {
        fields[field] = text;
        break;
      }
    }
  }
  const iccDescription = plainText(segments['icc']?.['ProfileDescription']);
  return iccDescription ? { fields, iccDescription } : { fields };
}

/** A trimmed single string from a tag value (XMP lang-alt objects and lists included), or undefined. */
function plainText(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value))
    text = value
      .map((item) => plainText(item) ?? '')
      .filter(Boolean)
      .join('; ');
  else if (value && typeof value === 'object' && 'value' in value) text = plainText(value.value);
  else if (typeof value === 'number') text = String(value);
  // eslint-disable-next-line no-control-regex
  text = text?.replace(/[\u0000-\u001f]+/g, ' ').trim();
  return text ? text.slice(0, MAX_FIELD_LENGTH) : undefined;
}

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The kept fields as a minimal XMP packet (Dublin Core dc:rights, dc:creator, dc:description),
 * the one metadata block a derivative carries: no EXIF block at all, so no orientation tag, GPS,
 * serial number or maker note can ride along. Deterministic: same fields, same bytes.
 */
export function xmpPacket(fields: SourceMetadata['fields']): string | undefined {
  const alt = (value: string) =>
    `<rdf:Alt><rdf:li xml:lang="x-default">${xmlEscape(value)}</rdf:li></rdf:Alt>`;
  const parts: string[] = [];
  if (fields.copyright) parts.push(`<dc:rights>${alt(fields.copyright)}</dc:rights>`);
  if (fields.artist)
    parts.push(`<dc:creator><rdf:Seq><rdf:li>${xmlEscape(fields.artist)}</rdf:li></rdf:Seq></dc:creator>`);
  if (fields.description) parts.push(`<dc:description>${alt(fields.description)}</dc:description>`);
  if (parts.length === 0) return undefined;
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
    ...parts,
    '</rdf:Description>',
    '</rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}
