import type { CampaignCell } from './api';

/** The share of the target reached, 0–100 (a count above target, up to the cap, shows as 100). */
export function percentOfTarget(cell: Pick<CampaignCell, 'curated' | 'target'>): number {
  if (cell.target <= 0) return 100;
  return Math.min(100, Math.round((cell.curated / cell.target) * 100));
}

/** A rate as a percentage, or a dash while nothing is decided (null). */
export const percent = (rate: number | null): string => (rate === null ? '—' : `${Math.round(rate * 100)} %`);
