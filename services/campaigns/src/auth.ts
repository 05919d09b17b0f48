import {
  authenticateCaller,
  type Caller,
  type CallerKind,
  type ExtraCredential,
  httpHeaders,
  type StageContext,
  StageApiError,
  tenantFor,
} from '@aperture/stage-runtime';
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
    if (!collector) throw new StageApiError('unauthenticated', 'missing or invalid x-collector-token header');
    return { kind: 'collector', tenantId: collector.tenantId, collectorId: collector._id };
  };
}

/**
 * The tenant a REST request acts for, from its credential (stage-runtime's `authenticateCaller`):
 * the API key's; a collector token's where `allow` has collectors; the service identity's named
 * tenant (x-aperture-tenant: ingest's console). 401 / 403 otherwise.
 */
export async function tenantOfRequest(
  ctx: StageContext,
  store: CampaignStore,
  headers: Record<string, string | string[] | undefined>,
  allow: readonly CallerKind[] = ['tenant', 'service'],
): Promise<string> {
  let caller: Caller;
  try {
    caller = await authenticateCaller(ctx, httpHeaders(headers), allow, collectorCredential(store));
    return tenantFor(caller);
  } catch (error) {
    if (error instanceof StageApiError && error.code !== 'not_found' && error.code !== 'conflict')
      throw new CampaignError(
        error.code === 'failed_precondition' ? 'invalid_request' : error.code,
        error.message,
      );
    throw error;
  }
}
