import { createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { ApiError } from './api-error';

/**
 * The credentials ingest issues and every service checks: tenants' API keys (`api_keys`) and
 * annotators' tokens (`annotators`), both stored as the SHA-256 of the secret. Ingest owns the
 * collections (its models create their indexes); the lookups below read them directly, so a stage
 * that checks a key declares no model on them and its index migration never touches ingest's.
 */
export const API_KEYS_COLLECTION = 'api_keys';
export const ANNOTATORS_COLLECTION = 'annotators';

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

/** A plausible key or token: something worth a database lookup (bounded length, printable). */
export function looksLikeApiKey(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{8,200}$/.test(value);
}

/** A live API key: the tenant it acts for and its id. */
export interface ApiKeyOwner {
  tenantId: string;
  keyId: string;
}

interface StoredSecret {
  _id: string;
  tenantId: string;
  revokedAt: Date | null;
}

/**
 * The live record of a secret, looked up by its SHA-256 (see `authenticate` in ingest's
 * TenantsService on why this is constant time in the secret); a missing, malformed, unknown or
 * revoked one is unauthenticated.
 */
async function liveHolder(
  connection: Connection,
  collection: string,
  secret: unknown,
  names: { missing: string; secret: string },
): Promise<StoredSecret> {
  if (secret === undefined || secret === '') throw ApiError.unauthenticated(names.missing);
  if (!looksLikeApiKey(secret)) throw ApiError.unauthenticated(`invalid ${names.secret}`);
  const record = await connection.collection<StoredSecret>(collection).findOne({ hash: hashApiKey(secret) });
  if (!record || record.revokedAt) throw ApiError.unauthenticated(`invalid or revoked ${names.secret}`);
  return record;
}

/** A live API key: the tenant it acts for and its id. */
export interface ApiKeyOwner {
  tenantId: string;
  keyId: string;
}

/** The tenant of an API key (revocation counts at once). */
export async function findApiKey(connection: Connection, apiKey: unknown): Promise<ApiKeyOwner> {
  const key = await liveHolder(connection, API_KEYS_COLLECTION, apiKey, {
    missing: 'missing x-api-key header',
    secret: 'API key',
  });
  return { tenantId: key.tenantId, keyId: key._id };
}

/** A live annotator token: its tenant and annotator. */
export interface AnnotatorIdentity {
  tenantId: string;
  annotatorId: string;
}

/** The annotator a token names, like an API key. */
export async function findAnnotator(connection: Connection, token: unknown): Promise<AnnotatorIdentity> {
  const annotator = await liveHolder(connection, ANNOTATORS_COLLECTION, token, {
    missing: 'missing annotator token',
    secret: 'annotator token',
  });
  return { tenantId: annotator.tenantId, annotatorId: annotator._id };
}
