import { createHash } from 'node:crypto';
import type { StageContext } from '@aperture/stage-runtime';
import type { CampaignStore } from './campaigns.store';
import { CampaignError } from './errors';
import type { CollectorDoc } from './models';

/**
 * The tenant of an API key, checked as ingest does: x-api-key looked up by its SHA-256 in ingest's
 * `api_keys` collection (read directly, declaring no model on it, so ingest's indexes stay its own).
 */
export async function tenantOfKey(ctx: StageContext, apiKey: unknown): Promise<string> {
  if (typeof apiKey !== 'string' || apiKey === '')
    throw new CampaignError('unauthenticated', 'missing x-api-key header');
  if (!/^[\x21-\x7e]{8,200}$/.test(apiKey)) throw new CampaignError('unauthenticated', 'invalid API key');
  const key = await ctx.pipeline.connection
    .collection<{ tenantId: string; revokedAt: Date | null }>('api_keys')
    .findOne({ hash: createHash('sha256').update(apiKey, 'utf8').digest('hex') });
  if (!key || key.revokedAt) throw new CampaignError('unauthenticated', 'invalid or revoked API key');
  return key.tenantId;
}

/** The collector of an x-collector-token; a suspended collector still authenticates (and is refused later). */
export async function collectorOfToken(store: CampaignStore, token: unknown): Promise<CollectorDoc> {
  const collector = await store.collectorByToken(typeof token === 'string' ? token : undefined);
  if (!collector) throw new CampaignError('unauthenticated', 'missing or invalid x-collector-token header');
  return collector;
}

/** Either credential: the tenant's API key, or a collector's token (a capture app). */
export async function tenantOfEither(
  ctx: StageContext,
  store: CampaignStore,
  apiKey: unknown,
  collectorToken: unknown,
): Promise<string> {
  if (collectorToken !== undefined && collectorToken !== '')
    return (await collectorOfToken(store, collectorToken)).tenantId;
  return tenantOfKey(ctx, apiKey);
}
