import { goldDue, leaseExpiry, parseResultJson, poolsFor, submitCheck } from './tasks';

describe('annotation tasks', () => {
  const now = new Date('2025-06-01T12:00:00Z');

  it('leases for 300 s by default and at most an hour', () => {
    expect(leaseExpiry(now, 0).toISOString()).toBe('2025-06-01T12:05:00.000Z');
    expect(leaseExpiry(now, 60).toISOString()).toBe('2025-06-01T12:01:00.000Z');
    expect(leaseExpiry(now, 100_000).toISOString()).toBe('2025-06-01T13:00:00.000Z');
  });

  it('takes a JSON object as the result and refuses anything else', () => {
    expect(parseResultJson(' {"class": "shelf"} ')).toEqual({ json: '{"class":"shelf"}' });
    expect(parseResultJson('{"class":')).toEqual({ error: 'result_json is not valid JSON' });
    expect(parseResultJson('[1,2]')).toMatchObject({ error: expect.stringContaining('JSON object') });
    expect(parseResultJson('"shelf"')).toMatchObject({ error: expect.stringContaining('JSON object') });
    expect(parseResultJson(JSON.stringify({ big: 'x'.repeat(70_000) }))).toMatchObject({
      error: expect.stringContaining('larger'),
    });
  });

  it('lets only the lease holder submit, answers a retry of a done task, refuses another annotator', () => {
    const leased = { state: 'leased', annotatorId: 'ann-1' } as const;
    expect(submitCheck(leased, undefined, 'ann-1')).toBe('ok');
    expect(submitCheck(leased, undefined, 'ann-2')).toEqual({
      code: 'failed_precondition',
      message: 'the task is not leased by this annotator',
    });
    expect(submitCheck({ state: 'pending', annotatorId: '' }, undefined, 'ann-1')).toMatchObject({
      code: 'failed_precondition',
    });
    // The stored result decides, whatever the task document says (a crash between the two writes).
    expect(submitCheck(leased, 'ann-1', 'ann-1')).toBe('already_done');
    expect(submitCheck({ state: 'done', annotatorId: 'ann-1' }, 'ann-1', 'ann-1')).toBe('already_done');
    expect(submitCheck(leased, 'ann-1', 'ann-2')).toEqual({
      code: 'conflict',
      message: 'the task already has a result from another annotator',
    });
  });

  it('routes an image to the pools of its region, else to the project pools', () => {
    const policy = {
      pools: ['default', 'vendor'],
      routing: [
        { region: 'EU', pools: ['eu-team'] },
        { region: 'US-IL', pools: ['il'] },
      ],
    };
    expect(poolsFor(policy, 'EU')).toEqual(['eu-team']);
    expect(poolsFor(policy, 'eu-de')).toEqual(['eu-team']);
    expect(poolsFor(policy, 'US-IL')).toEqual(['il']);
    expect(poolsFor(policy, 'US-CA')).toEqual(['default', 'vendor']);
    expect(poolsFor(policy, '')).toEqual(['default', 'vendor']);
  });

  it("spreads gold tasks evenly over an annotator's leases", () => {
    const gold = (ratio: number) =>
      Array.from({ length: 20 }, (_, i) => goldDue(i, ratio)).filter(Boolean).length;
    expect(gold(0)).toBe(0);
    expect(gold(0.1)).toBe(2);
    expect(gold(0.5)).toBe(10);
    expect(goldDue(0, 0.5)).toBe(false);
    expect(goldDue(1, 0.5)).toBe(true);
  });
});
