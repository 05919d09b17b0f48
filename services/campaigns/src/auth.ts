import type { ExtraCredential } from '@aperture/stage-runtime';
import type { CampaignStore } from './campaigns.store';
import { CampaignError } from './errors';
import type { CollectorDoc } from './models';

export const COLLECTOR_TOKEN_HEADER = 'x-collector-token';

/** The collector of an x-collector-token; a suspended collector still authenticates (and is refused later). */
export async function collectorOfToken(store: CampaignStore, token: unknown): Promise<CollectorDoc> {
  const collector = await store.collectorByToken(typeof token === 'string' ? token : undefined);
  if (!collector) throw new CampaignError('unauthenticated', 'missing or invalid x-collector-token header');
  return collector;
}

/** The campaigns service's own credential beside the shared ones: a collector's token (a capture app). */
export function collectorCredential(store: CampaignStore): ExtraCredential {
  return async (header) => {
    const token = header(COLLECTOR_TOKEN_HEADER);
    if (token === undefined || token === '') return undefined;
    const collector = await store.collectorByToken(token);
    if (!collector) throw new CampaignError('unauthenticated', 'missing or invalid x-collector-token header');
    return { kind: 'collector', tenantId: collector.tenantId, collectorId: collector._id };
  };
}
