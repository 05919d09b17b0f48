import { UsageError } from '../commands';
import { matchesWhere, parseWhere } from './where';

describe('export --where', () => {
  it('parses axis=bucket, alternatives by comma or repetition, and names a bad axis or bucket', () => {
    expect(parseWhere(['timeOfDay=night,dusk', 'viewpoint=rear view', 'timeOfDay=night'])).toEqual({
      timeOfDay: ['night', 'dusk'],
      viewpoint: ['rear view'],
    });
    expect(() => parseWhere(['colour=red'])).toThrow(UsageError);
    expect(() => parseWhere(['timeOfDay=noon'])).toThrow(/takes day, dusk, night/);
    expect(() => parseWhere(['night'])).toThrow(UsageError);
  });

  it('keeps an image in one of the buckets of every axis asked; none without descriptors', () => {
    const where = parseWhere(['timeOfDay=night,dusk', 'occlusion=partly occluded']);
    expect(matchesWhere({ timeOfDay: 'dusk', occlusion: 'partly occluded' }, where)).toBe(true);
    expect(matchesWhere({ timeOfDay: 'day', occlusion: 'partly occluded' }, where)).toBe(false);
    expect(matchesWhere(null, where)).toBe(false);
    expect(matchesWhere(null, {})).toBe(true);
  });
});
