import { percent, percentOfTarget } from './campaign-cells';

describe('campaign cells', () => {
  it('shows the share of the target, never above 100', () => {
    expect(percentOfTarget({ curated: 3, target: 10 })).toBe(30);
    expect(percentOfTarget({ curated: 12, target: 10 })).toBe(100);
    expect(percentOfTarget({ curated: 0, target: 0 })).toBe(100);
  });

  it('prints a rate, or a dash when there is none yet', () => {
    expect(percent(0.756)).toBe('76 %');
    expect(percent(null)).toBe('—');
  });
});
