import { parseCampaignSpec, parseContent, parseTags, SpecError } from './campaign-spec';

const now = new Date('2026-11-24T00:00:00Z');
const valid = {
  projectId: 'prj_1',
  name: 'shelves',
  deadline: '2026-12-31T23:59:59Z',
  cells: [{ category: 'shelf', timeOfDay: 'Night', target: 2, cap: 3, tags: ['Convenience'] }],
};

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecError) return error.field;
    throw error;
  }
  throw new Error('no error');
}

describe('campaign spec', () => {
  it('fills defaults and normalises enums and tags', () => {
    const spec = parseCampaignSpec(valid, ['shelf'], now);
    expect(spec.cells[0]).toMatchObject({
      cellId: 'c1',
      timeOfDay: 'night',
      tags: ['convenience'],
      target: 2,
      cap: 3,
    });
    expect(spec).toMatchObject({
      perCollectorCap: 0,
      minAcceptance: 0.5,
      minDecided: 5,
      assignmentMinutes: 60,
    });
  });
  it('names the field that is wrong', () => {
    expect(fieldOf(() => parseCampaignSpec({ ...valid, deadline: '2020-01-01T00:00:00Z' }, [], now))).toBe(
      'deadline',
    );
    expect(fieldOf(() => parseCampaignSpec({ ...valid, cells: [{ target: 0 }] }, [], now))).toBe(
      'cells[0].target',
    );
    expect(fieldOf(() => parseCampaignSpec({ ...valid, cells: [{ target: 3, cap: 2 }] }, [], now))).toBe(
      'cells[0].cap',
    );
    expect(
      fieldOf(() => parseCampaignSpec({ ...valid, cells: [{ target: 1, setting: 'cave' }] }, [], now)),
    ).toBe('cells[0].setting');
    expect(fieldOf(() => parseCampaignSpec(valid, ['fridge'], now))).toBe('cells[0].category');
    expect(fieldOf(() => parseCampaignSpec({ ...valid, colour: 1 }, [], now))).toBe('colour');
  });
  it('parses tags from a list or a comma-separated string', () => {
    expect(parseTags('a, B,a', 'tags')).toEqual(['a', 'b']);
    expect(() => parseTags(['bad tag'], 'tags')).toThrow(SpecError);
  });
  it('takes content buckets of any axis, once each, and names an unknown one', () => {
    expect(parseContent(undefined, 'c')).toEqual([]);
    expect(parseContent(['night', 'rear view', 'night'], 'c')).toEqual(['night', 'rear view']);
    expect(() => parseContent(['noon'], 'c')).toThrow(/unknown content bucket "noon"/);
    expect(() => parseContent('night', 'c')).toThrow(SpecError);
  });
});
