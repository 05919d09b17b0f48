import { ApiError } from '../errors';
import { campaignDeclaration, wantsSyncVerdict } from './batches.controller';

describe('campaign upload fields', () => {
  it('reads the campaign, the declared attributes and the collector token', () => {
    expect(
      campaignDeclaration({ campaignId: ' cmp_1 ', category: 'shelf', tags: 'a, b,,c' }, 'ctk_x'),
    ).toEqual({
      campaignId: 'cmp_1',
      collectorToken: 'ctk_x',
      category: 'shelf',
      setting: '',
      tags: ['a', 'b', 'c'],
    });
  });
  it('is an ordinary upload without campaignId, and refuses campaign attributes without it', () => {
    expect(campaignDeclaration({}, undefined)).toBeUndefined();
    expect(() => campaignDeclaration({ category: 'shelf' }, undefined)).toThrow(ApiError);
  });
  it('takes ?verdict=sync and names the field otherwise', () => {
    expect(wantsSyncVerdict(undefined)).toBe(false);
    expect(wantsSyncVerdict('sync')).toBe(true);
    try {
      wantsSyncVerdict('async');
      throw new Error('accepted');
    } catch (error) {
      expect((error as ApiError).details).toEqual([{ field: 'verdict', message: 'must be "sync"' }]);
    }
  });
});
