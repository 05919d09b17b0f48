import { type StageContext, StageApiError, tenantOfApiKey } from '@aperture/stage-runtime';
import type { CampaignStore } from './campaigns.store';
import { CampaignError } from './errors';
import type { CollectorDoc } from './models';

/** The tenant of an API key, checked as ingest does (stage-runtime's `tenantOfApiKey`): 401 otherwise. */
export async function tenantOfKey(ctx: StageContext, apiKey: unknown): Promise<string> {
  try {
    return await tenantOfApiKey(ctx, apiKey);
  } catch (error) {
    if (error instanceof StageApiError) throw new CampaignError('unauthenticated', error.message);
    throw error;
  }
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
