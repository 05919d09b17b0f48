import { assignmentExpiry, assignmentState, cellsForCollector } from './assignments';
import type { CellSpec } from './cells';
import { campaignState } from './state';
import { collectorStats, isDuplicateRejection } from './stats';

const bar = { minAcceptance: 0.6, minDecided: 4 };

describe('collector statistics', () => {
  it('computes acceptance, duplicate rate and agreement, and flags below the bar', () => {
    const stats = collectorStats(
      {
        collectorId: 'col_1',
        uploaded: 6,
        curated: 2,
        rejected: 3,
        reasons: { blurry: 1, near_duplicate: 2 },
        agreements: [1, 0.5],
      },
      bar,
      2,
    );
    expect(stats).toMatchObject({
      acceptanceRate: 0.4,
      duplicateRate: 0.4,
      annotatorAgreement: 0.75,
      inFlight: 1,
      flagged: true,
    });
  });
  it('does not flag before enough is decided, and has no rates without decisions', () => {
    expect(
      collectorStats(
        { collectorId: 'c', uploaded: 3, curated: 0, rejected: 3, reasons: {}, agreements: [] },
        bar,
        0,
      ).flagged,
    ).toBe(false);
    expect(
      collectorStats(
        { collectorId: 'c', uploaded: 1, curated: 0, rejected: 0, reasons: {}, agreements: [] },
        bar,
        0,
      ),
    ).toMatchObject({
      acceptanceRate: null,
      duplicateRate: null,
      annotatorAgreement: null,
    });
  });
  it('knows duplicate reasons', () => {
    expect(isDuplicateRejection(['blurry', 'near_duplicate'])).toBe(true);
    expect(isDuplicateRejection(['blurry'])).toBe(false);
  });
});

const cell = (cellId: string, region: string, target: number, cap = 0): CellSpec => ({
  cellId,
  category: '',
  region,
  timeOfDay: '',
  setting: '',
  device: '',
  orientation: '',
  tags: [],
  target,
  cap,
  instructions: `shoot ${cellId}`,
});

describe('assignments', () => {
  it('offers the cells of the collector region (or none) that still need images, most needed first', () => {
    const cells = [cell('c1', 'EU', 3), cell('c2', 'US', 5), cell('c3', '', 4), cell('c4', 'eu', 1)];
    const offered = cellsForCollector(
      cells,
      new Map([
        ['c4', 1],
        ['c1', 1],
      ]),
      'EU',
      'no faces',
    );
    expect(offered.map((c) => [c.cellId, c.needed])).toEqual([
      ['c3', 4],
      ['c1', 2],
    ]);
    expect(offered[0]!.instructions).toBe('no faces\nshoot c3');
  });
  it('expires at its time, and never after the deadline', () => {
    const created = new Date('2026-11-24T00:00:00Z');
    const expires = assignmentExpiry(created, 30, new Date('2026-12-01T00:00:00Z'));
    expect(expires.toISOString()).toBe('2026-11-24T00:30:00.000Z');
    expect(assignmentState(expires, new Date('2026-11-24T00:29:59Z'))).toBe('active');
    expect(assignmentState(expires, new Date('2026-11-24T00:30:00Z'))).toBe('expired');
    expect(assignmentExpiry(created, 60, new Date('2026-11-24T00:10:00Z')).toISOString()).toBe(
      '2026-11-24T00:10:00.000Z',
    );
  });
});

describe('campaign state', () => {
  const campaign = { closedAt: null, deadline: new Date('2026-12-01T00:00:00Z'), cells: [cell('c1', '', 2)] };
  const now = new Date('2026-11-24T00:00:00Z');
  it('is open, complete at every target, closed at the deadline or by an operator', () => {
    expect(campaignState(campaign, new Map(), now)).toBe('open');
    expect(campaignState(campaign, new Map([['c1', 2]]), now)).toBe('complete');
    expect(campaignState(campaign, new Map(), new Date('2026-12-01T00:00:00Z'))).toBe('closed');
    expect(campaignState({ ...campaign, closedAt: now }, new Map(), now)).toBe('closed');
  });
});
