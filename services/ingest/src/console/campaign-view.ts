import { isObject } from '@aperture/contracts';
/** What the Campaigns page's event stream sends: a campaign's progress and its collectors. */
export interface CampaignSnapshot {
  campaign: Record<string, unknown>;
  collectors: unknown[];
}

/**
 * One event of the campaign stream, from campaigns' two answers. Campaigns stamps each progress
 * with the time it was read (`updatedAt`); that is dropped here, or every read would differ from
 * the last and the stream would send every second instead of only at a change.
 */
export function campaignSnapshot(progress: unknown, stats: unknown): CampaignSnapshot {
  const { updatedAt: _readAt, ...campaign } = isObject(progress) ? progress : {};
  const collectors = isObject(stats) && Array.isArray(stats['collectors']) ? stats['collectors'] : [];
  return { campaign, collectors };
}
