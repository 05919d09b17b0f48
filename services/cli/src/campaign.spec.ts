import { ApiClient } from './api-client';
import { type CampaignProgress, renderCollectors, renderProgress, watchProgress } from './campaign';
import { campaignUpload, type CliIo } from './commands';

const progress = (curated: number, state = 'open'): CampaignProgress => ({
  campaignId: 'cmp_1',
  projectId: 'prj_1',
  name: 'shelves',
  state,
  deadline: '2027-01-01T00:00:00.000Z',
  cells: [
    {
      cellId: 'c1',
      category: 'shelf',
      region: 'EU',
      timeOfDay: 'night',
      setting: '',
      device: '',
      orientation: '',
      tags: ['convenience'],
      target: 2,
      cap: 3,
      curated,
      full: curated >= 3,
    },
  ],
  counted: curated,
  surplus: 0,
  target: 2,
  achieved: Math.min(2, curated),
});

describe('campaign CLI', () => {
  it('renders per-cell progress', () => {
    const text = renderProgress(progress(1));
    expect(text).toContain('shelf · EU · night · #convenience');
    expect(text).toMatch(/c1 +shelf · EU · night · #convenience +1 +2 +3 +█████░░░░░/);
    expect(text).toContain('1/2 of the targets');
  });

  it('renders collector statistics and flags', () => {
    const text = renderCollectors([
      {
        collectorId: 'col_1',
        name: 'ann',
        state: 'verified',
        uploaded: 4,
        curated: 1,
        rejected: 3,
        acceptanceRate: 0.25,
        duplicateRate: 0.5,
        annotatorAgreement: null,
        rejectionReasons: { near_duplicate: 2, blurry: 1 },
        flagged: true,
      },
    ]);
    expect(text).toMatch(/col_1 +ann +verified +4 +1 +3 +25% +50% +— +near_duplicate \(2\) +FLAGGED/);
    expect(renderCollectors([])).toContain('no collector');
  });

  it('builds a campaign upload from flags or the environment, and refuses campaign flags without a campaign', () => {
    expect(
      campaignUpload(
        { campaign: 'cmp_1', category: 'shelf', tags: 'a,b' },
        { APERTURE_COLLECTOR_TOKEN: 'ctk_x' },
      ),
    ).toEqual({
      fields: { campaignId: 'cmp_1', category: 'shelf', tags: 'a,b' },
      headers: { 'x-collector-token': 'ctk_x' },
    });
    expect(campaignUpload({}, {})).toBeUndefined();
    expect(() => campaignUpload({ category: 'shelf' }, {})).toThrow(/--campaign/);
    expect(() => campaignUpload({ campaign: 'cmp_1' }, {})).toThrow(/collector token/);
  });

  it('watches until the campaign is no longer open, printing each change once', async () => {
    const answers = [progress(0), progress(0), progress(1), progress(2, 'complete')];
    const fakeFetch = (() =>
      Promise.resolve(new Response(JSON.stringify(answers.shift()), { status: 200 }))) as typeof fetch;
    const out: string[] = [];
    const io = {
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: () => true },
      env: {},
    } as unknown as CliIo;
    await watchProgress(
      new ApiClient({ baseUrl: 'http://x', apiKey: 'k', fetch: fakeFetch }),
      'cmp_1',
      io,
      {},
      { intervalMs: 0, sleep: () => Promise.resolve() },
    );
    expect(out).toHaveLength(3);
    expect(out[2]).toContain('complete');
  });
});
