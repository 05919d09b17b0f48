import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * A new identifier `<prefix>_<time><random>`: 9 base-36 characters of milliseconds (so ids sort
 * roughly by creation, which keeps cursor pages in upload order) and 12 random base-36 characters.
 */
export function newId(prefix: 'ten' | 'key' | 'prj' | 'bat' | 'img' | 'ann', now = Date.now()): string {
  const time = now.toString(36).padStart(9, '0');
  const bytes = randomBytes(12);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return `${prefix}_${time}${random}`;
}
