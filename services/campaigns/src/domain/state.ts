import type { CellSpec } from './cells';

export type CampaignState = 'open' | 'complete' | 'closed';

/**
 * closed: an operator closed it or its deadline passed; complete: every cell reached its target
 * (it still takes uploads for cells below their cap); open otherwise.
 */
export function campaignState(
  campaign: { closedAt: Date | null; deadline: Date; cells: CellSpec[] },
  counts: ReadonlyMap<string, number>,
  now: Date,
): CampaignState {
  if (campaign.closedAt || now.getTime() >= campaign.deadline.getTime()) return 'closed';
  return campaign.cells.every((cell) => (counts.get(cell.cellId) ?? 0) >= cell.target) ? 'complete' : 'open';
}
