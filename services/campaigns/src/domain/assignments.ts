import { type CellSpec, cellLabel, cellLimit } from './cells';

export interface AssignedCell {
  cellId: string;
  label: string;
  /** Curated images the cell still needs to reach its target. */
  needed: number;
  instructions: string;
}

/**
 * The work offered to a collector: the cells that still need images to reach their target and
 * that a collector of `region` can fill (cells of their region or of none), most needed first.
 */
export function cellsForCollector(
  cells: CellSpec[],
  counts: ReadonlyMap<string, number>,
  region: string,
  campaignInstructions: string,
  limit = 5,
): AssignedCell[] {
  const here = region.trim().toLowerCase();
  return cells
    .filter((cell) => cell.region === '' || cell.region.toLowerCase() === here)
    .map((cell) => ({ cell, curated: counts.get(cell.cellId) ?? 0 }))
    .filter(({ cell, curated }) => curated < cell.target && curated < cellLimit(cell))
    .map(({ cell, curated }) => ({
      cellId: cell.cellId,
      label: cellLabel(cell),
      needed: cell.target - curated,
      instructions: [campaignInstructions, cell.instructions].filter((line) => line !== '').join('\n'),
    }))
    .sort((a, b) => b.needed - a.needed || a.cellId.localeCompare(b.cellId))
    .slice(0, limit);
}

export type AssignmentState = 'active' | 'expired';

export function assignmentState(expiresAt: Date, now: Date): AssignmentState {
  return now.getTime() >= expiresAt.getTime() ? 'expired' : 'active';
}

export function assignmentExpiry(createdAt: Date, minutes: number, deadline: Date): Date {
  // An assignment never outlives its campaign.
  return new Date(Math.min(createdAt.getTime() + minutes * 60_000, deadline.getTime()));
}
