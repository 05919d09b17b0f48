import { Inject, Injectable } from '@nestjs/common';
import type { Model } from 'mongoose';
import { type ApiKeyOwner, findApiKey, generateApiKey, secretsEqual } from '@aperture/runtime';
import { newId } from '../domain/ids';
import { TokenBuckets } from '../domain/rate-limit';
import { ApiError } from '../errors';
import { apiKeyModel, type ApiKeyRecord, tenantModel, type TenantRecord } from '../models';
import { INGEST_DEPS, type IngestDeps } from '../tokens';

/** Who a request acts for, once its API key is verified. */
export type TenantPrincipal = ApiKeyOwner;

export interface CreatedApiKey {
  keyId: string;
  /** The secret: returned once, at creation, and never again. */
  apiKey: string;
  prefix: string;
  createdAt: string;
}

export interface ApiKeyView {
  keyId: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Tenants and their API keys (stored as SHA-256 hashes). */
@Injectable()
export class TenantsService {
  private readonly tenants: Model<TenantRecord>;
  private readonly keys: Model<ApiKeyRecord>;
  /** Per-tenant request budget of this replica. */
  private readonly rates: TokenBuckets;

  constructor(@Inject(INGEST_DEPS) private readonly deps: IngestDeps) {
    this.tenants = tenantModel(deps.connection);
    this.keys = apiKeyModel(deps.connection);
    this.rates = new TokenBuckets({
      perSecond: deps.config.RATE_LIMIT_PER_SECOND,
      burst: deps.config.RATE_LIMIT_BURST,
    });
  }

  /** True when `token` is the configured admin token (constant time: see secretsEqual). */
  isAdmin(token: string | undefined): boolean {
    return secretsEqual(token, this.deps.config.ADMIN_TOKEN);
  }

  async createTenant(
    name: string,
  ): Promise<{ tenantId: string; name: string; keyId: string; apiKey: string }> {
    const tenantId = newId('ten');
    await this.tenants.create({ _id: tenantId, name, createdAt: new Date() });
    const key = await this.createKey(tenantId);
    this.deps.log.info({ tenantId, keyId: key.keyId }, 'tenant created');
    return { tenantId, name, keyId: key.keyId, apiKey: key.apiKey };
  }

  async createKey(tenantId: string): Promise<CreatedApiKey> {
    const { apiKey, hash, prefix } = generateApiKey();
    const keyId = newId('key');
    const createdAt = new Date();
    await this.keys.create({ _id: keyId, tenantId, hash, prefix, createdAt, revokedAt: null });
    return { keyId, apiKey, prefix, createdAt: createdAt.toISOString() };
  }

  async listKeys(tenantId: string): Promise<ApiKeyView[]> {
    const keys = await this.keys.find({ tenantId }).sort({ _id: 1 }).lean<ApiKeyRecord[]>().exec();
    return keys.map((key) => ({
      keyId: key._id,
      prefix: key.prefix,
      createdAt: new Date(key.createdAt).toISOString(),
      revokedAt: key.revokedAt ? new Date(key.revokedAt).toISOString() : null,
    }));
  }

  /** Revokes one of the tenant's keys; another tenant's key is "not found". Revoking twice is fine. */
  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    const key = await this.keys.findOne({ _id: keyId, tenantId }).lean<ApiKeyRecord>().exec();
    if (!key) throw ApiError.notFound('API key', keyId);
    if (key.revokedAt === null || key.revokedAt === undefined) {
      await this.keys.updateOne({ _id: keyId, tenantId }, { $set: { revokedAt: new Date() } }).exec();
      this.deps.log.info({ tenantId, keyId }, 'API key revoked');
    }
  }

  /**
   * The tenant a key belongs to; unauthenticated for a missing, unknown or revoked key, and
   * rate_limited (with the seconds to wait) when the tenant has used up its request budget.
   *
   * Constant time with respect to the secret: the key is never compared with a stored key
   * character by character. It is hashed (SHA-256) and the full 64-hex-digit hash is looked up by
   * equality in the database's index. What a timing attacker could learn is how far a guessed hash
   * matches a stored one, and without a preimage of SHA-256 that says nothing about any key's
   * characters. (The stored 12-character display prefix is never used for the lookup.)
   */
  async authenticate(apiKey: unknown): Promise<TenantPrincipal> {
    return this.admit(await findApiKey(this.deps.connection, apiKey));
  }

  /**
   * The tenant of a console session opened with key `keyId`: the key is checked again on every
   * request, so revoking it ends the session at once. Rate-limited like the key itself.
   */
  async authenticateKeyId(keyId: string): Promise<TenantPrincipal> {
    const key = await this.keys.findById(keyId).lean<ApiKeyRecord>().exec();
    if (!key || key.revokedAt) throw ApiError.unauthenticated('invalid or revoked API key');
    return this.admit({ tenantId: key.tenantId, keyId: key._id });
  }

  /** The key's tenant, once it is within its request budget. */
  private admit(key: TenantPrincipal): TenantPrincipal {
    const decision = this.rates.take(key.tenantId);
    if (!decision.allowed) throw ApiError.rateLimited(decision.retryAfterSeconds);
    return key;
  }
}
