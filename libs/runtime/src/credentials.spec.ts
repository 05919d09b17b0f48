import { createHash } from 'node:crypto';
import { generateApiKey, hashApiKey, KEY_PREFIX_LENGTH, looksLikeApiKey } from './credentials';

describe('API keys', () => {
  it('generates distinct random keys, keeping only their SHA-256 and a short prefix', () => {
    const first = generateApiKey();
    const second = generateApiKey();
    expect(first.apiKey).not.toBe(second.apiKey);
    expect(first.apiKey).toMatch(/^apk_[A-Za-z0-9_-]{32}$/);
    expect(first.hash).toBe(createHash('sha256').update(first.apiKey).digest('hex'));
    expect(first.hash).not.toContain(first.apiKey);
    expect(first.prefix).toBe(first.apiKey.slice(0, KEY_PREFIX_LENGTH));
    expect(first.prefix.length).toBeLessThan(first.apiKey.length / 2);
    expect(looksLikeApiKey(first.apiKey)).toBe(true);
  });

  it('hashes a key to the hash it was generated with, and no other key to it', () => {
    const { apiKey, hash } = generateApiKey();
    expect(hashApiKey(apiKey)).toBe(hash);
    expect(hashApiKey(`${apiKey}x`)).not.toBe(hash);
  });

  it('does not look up values that cannot be keys', () => {
    expect(looksLikeApiKey(undefined)).toBe(false);
    expect(looksLikeApiKey(['a', 'b'])).toBe(false);
    expect(looksLikeApiKey('short')).toBe(false);
    expect(looksLikeApiKey('has space in it')).toBe(false);
    expect(looksLikeApiKey('x'.repeat(201))).toBe(false);
  });
});
