import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How many leading characters of a key are kept in clear, to tell keys apart in a listing. */
export const KEY_PREFIX_LENGTH = 12;

export interface NewApiKey {
  /** The secret, shown once to the caller and never stored. */
  apiKey: string;
  /** Lower-case hex SHA-256 of the key: what is stored and looked up. */
  hash: string;
  /** The first characters of the key, for display. */
  prefix: string;
}

/** A new random API key (`apk_` + 32 base64url characters, 192 bits) with its hash and prefix. */
export function generateApiKey(): NewApiKey {
  const apiKey = `apk_${randomBytes(24).toString('base64url')}`;
  return { apiKey, hash: hashApiKey(apiKey), prefix: apiKey.slice(0, KEY_PREFIX_LENGTH) };
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/** True when `apiKey` hashes to `hash` (constant-time comparison). */
export function verifyApiKey(apiKey: string, hash: string): boolean {
  const actual = Buffer.from(hashApiKey(apiKey), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A plausible key: something worth a database lookup (bounded length, printable). */
export function looksLikeApiKey(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{8,200}$/.test(value);
}
