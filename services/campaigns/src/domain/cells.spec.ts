import {
  type CellSpec,
  cellFull,
  cellLabel,
  cellMatches,
  cellsToCount,
  deviceOf,
  type ImageFacts,
  orientationOf,
  timeOfDayOf,
  uploadRefusal,
} from './cells';

const cell = (overrides: Partial<CellSpec>): CellSpec => ({
  cellId: 'c1',
  category: '',
  region: '',
  timeOfDay: '',
  setting: '',
  device: '',
  orientation: '',
  tags: [],
  target: 2,
  cap: 0,
  instructions: '',
  ...overrides,
});

const declared = (overrides: Partial<ImageFacts> = {}): ImageFacts => ({
  category: 'shelf',
  region: 'EU',
  setting: '',
  tags: [],
  ...overrides,
});

describe('time of day', () => {
  it('follows the capture hour: 20:00..05:59 is night', () => {
    expect(timeOfDayOf(19, 120)).toBe('day');
    expect(timeOfDayOf(20, 120)).toBe('night');
    expect(timeOfDayOf(5, 120)).toBe('night');
    expect(timeOfDayOf(6, 120)).toBe('day');
  });
  it('takes a very dark picture as night whatever the clock says', () => {
    expect(timeOfDayOf(13, 10)).toBe('night');
  });
  it('falls back on the median brightness without a capture time, and is unknown without both', () => {
    expect(timeOfDayOf(undefined, 40)).toBe('night');
    expect(timeOfDayOf(undefined, 140)).toBe('day');
    expect(timeOfDayOf(undefined, undefined)).toBe('');
  });
});

describe('orientation and device', () => {
  it('classifies the upright size', () => {
    expect(orientationOf(4000, 3000)).toBe('landscape');
    expect(orientationOf(3000, 4000)).toBe('portrait');
    expect(orientationOf(1000, 1020)).toBe('square');
    expect(orientationOf(0, 10)).toBe('');
  });
  it('joins make and model once', () => {
    expect(deviceOf('Apple', 'iPhone 12')).toBe('Apple iPhone 12');
    expect(deviceOf('Canon', 'Canon EOS 5D')).toBe('Canon EOS 5D');
    expect(deviceOf(undefined, undefined)).toBe('');
  });
});

describe('cell matching', () => {
  it('matches set dimensions without case and needs every tag of the cell', () => {
    const shelfNight = cell({ category: 'shelf', timeOfDay: 'night', tags: ['convenience'] });
    expect(cellMatches(shelfNight, declared({ tags: ['convenience', 'x'], timeOfDay: 'night' }))).toBe(true);
    expect(cellMatches(shelfNight, declared({ tags: [], timeOfDay: 'night' }))).toBe(false);
    expect(cellMatches(shelfNight, declared({ tags: ['convenience'], timeOfDay: 'day' }))).toBe(false);
    expect(cellMatches(cell({ device: 'apple iphone 12' }), declared({ device: 'Apple  iPhone 12' }))).toBe(
      true,
    );
  });
  it("needs every content bucket of the cell among the curated image's, unknown at upload", () => {
    const rearNight = cell({ content: ['rear view', 'night'] });
    expect(cellMatches(rearNight, declared())).toBe(true); // content not known at upload
    expect(cellMatches(rearNight, declared({ content: ['night', 'outdoor', 'rear view', 'far'] }))).toBe(
      true,
    );
    expect(cellMatches(rearNight, declared({ content: ['night', 'outdoor', 'frontal'] }))).toBe(false);
    expect(cellMatches(rearNight, declared({ content: [] }))).toBe(false); // curated, no descriptors
    expect(cellMatches(cell({}), declared({ content: [] }))).toBe(true);
    expect(cellLabel({ ...rearNight, timeOfDay: '', setting: '', orientation: '' })).toContain(
      'rear view · night',
    );
  });
  it('lets an unknown measured fact match at upload, but not a missing one once curated', () => {
    const iphone = cell({ device: 'Apple iPhone 12' });
    expect(cellMatches(iphone, declared())).toBe(true); // device not known at upload
    expect(cellMatches(iphone, declared({ device: '' }))).toBe(false); // curated, no EXIF camera
  });
});

describe('fullness and counting', () => {
  it('is full at the cap, or at the target without one', () => {
    expect(cellFull({ target: 3, cap: 0 }, 2)).toBe(false);
    expect(cellFull({ target: 3, cap: 0 }, 3)).toBe(true);
    expect(cellFull({ target: 3, cap: 5 }, 3)).toBe(false);
    expect(cellFull({ target: 3, cap: 5 }, 5)).toBe(true);
  });
  it('counts an image in every matching cell with room, and in none when all are full', () => {
    const cells = [
      cell({ cellId: 'c1', category: 'shelf' }),
      cell({ cellId: 'c2', region: 'EU' }),
      cell({ cellId: 'c3', region: 'US' }),
    ];
    const facts = declared({ timeOfDay: 'day', device: '', orientation: 'landscape' });
    expect(cellsToCount(cells, new Map(), facts)).toEqual(['c1', 'c2']);
    expect(cellsToCount(cells, new Map([['c1', 2]]), facts)).toEqual(['c2']);
    expect(
      cellsToCount(
        cells,
        new Map([
          ['c1', 2],
          ['c2', 2],
        ]),
        facts,
      ),
    ).toEqual([]);
  });
});

describe('upload refusal', () => {
  const cells = [
    cell({ cellId: 'c1', category: 'shelf', target: 1 }),
    cell({ cellId: 'c2', category: 'fridge', target: 1 }),
  ];
  it('accepts while a cell that could take the image has room', () => {
    expect(uploadRefusal(cells, new Map(), declared())).toBeNull();
  });
  it('refuses when every candidate cell is full', () => {
    expect(uploadRefusal(cells, new Map([['c1', 1]]), declared())?.code).toBe('campaign_cell_full');
  });
  it('refuses an image no cell takes', () => {
    expect(uploadRefusal(cells, new Map(), declared({ category: 'street' }))?.code).toBe('campaign_no_cell');
  });
});
