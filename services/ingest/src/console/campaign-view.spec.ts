import { campaignSnapshot } from './campaign-view';
import { errorOfForwarded } from './service.repository';

describe('campaignSnapshot', () => {
  const progress = (curated: number, updatedAt: string) => ({
    campaignId: 'cmp_1',
    state: 'open',
    cells: [{ cellId: 'c1', target: 2, cap: 0, curated, full: curated >= 2 }],
    updatedAt,
  });
  const stats = { campaignId: 'cmp_1', collectors: [{ collectorId: 'col_1', flagged: false }] };

  it('is the same for two reads that differ only in their read time (no event)', () => {
    const first = JSON.stringify(campaignSnapshot(progress(1, '2026-01-01T00:00:00Z'), stats));
    const second = JSON.stringify(campaignSnapshot(progress(1, '2026-01-01T00:00:01Z'), stats));
    expect(second).toBe(first);
    expect(first).not.toContain('updatedAt');
  });

  it('differs when a cell count changes (an event)', () => {
    const before = JSON.stringify(campaignSnapshot(progress(1, 'a'), stats));
    const after = campaignSnapshot(progress(2, 'b'), stats);
    expect(JSON.stringify(after)).not.toBe(before);
    expect(after.campaign['cells']).toEqual([{ cellId: 'c1', target: 2, cap: 0, curated: 2, full: true }]);
    expect(after.collectors).toEqual([{ collectorId: 'col_1', flagged: false }]);
  });

  it('has no collectors when the statistics answer has none', () => {
    expect(campaignSnapshot(progress(0, 'a'), {}).collectors).toEqual([]);
  });
});

describe('errorOfForwarded', () => {
  const answer = (status: number, body: string) => ({
    status,
    contentType: 'application/json',
    body: Buffer.from(body),
  });

  it("keeps a code ingest knows, with the neighbour's message", () => {
    const error = errorOfForwarded(
      'campaigns',
      answer(404, '{"error":{"code":"campaign_not_found","message":"campaign cmp_x not found"}}'),
    );
    expect(error.code).toBe('campaign_not_found');
    expect(error.httpStatus).toBe(404);
    expect(error.message).toBe('campaign cmp_x not found');
  });

  it('turns an unknown code or a body that is not JSON into unavailable, naming the service', () => {
    const unknown = errorOfForwarded('campaigns', answer(500, '{"error":{"code":"boom","message":"x"}}'));
    expect(unknown.code).toBe('unavailable');
    expect(unknown.message).toBe('campaigns answered 500: x');
    const html = errorOfForwarded('campaigns', answer(502, '<html>bad gateway</html>'));
    expect(html.message).toBe('campaigns answered 502: status 502');
  });
});
