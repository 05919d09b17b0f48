import { contentOf, occlusionOf, subjectDistance, touchesFrame } from './framing';

const box = (x: number, y: number, width: number, height: number, label = 'person') => ({
  x,
  y,
  width,
  height,
  score: 0.9,
  label,
});

describe('subjectDistance', () => {
  it('sizes the subject by the largest face x 3 or person/vehicle height over the frame', () => {
    expect(subjectDistance([box(10, 10, 300, 320)], [], 1000)).toEqual({
      subjectHeight: 0.96,
      bucket: 'close-up',
    });
    expect(subjectDistance([], [box(0, 0, 100, 500)], 1000).bucket).toBe('near');
    expect(subjectDistance([box(0, 0, 20, 60)], [box(0, 0, 50, 200, 'car')], 1000).bucket).toBe('medium');
    expect(subjectDistance([box(0, 0, 10, 12)], [], 1000).bucket).toBe('far');
    expect(subjectDistance([], [box(0, 0, 50, 900, 'dog')], 1000).bucket).toBe('no subject');
  });
});

describe('occlusionOf', () => {
  it('counts subjects touching the frame edge as cut', () => {
    expect(touchesFrame(box(0, 100, 50, 50), 1000, 800)).toBe(true);
    expect(touchesFrame(box(100, 100, 50, 50), 1000, 800)).toBe(false);
    expect(occlusionOf([], [box(960, 100, 40, 300)], 1000, 800)).toEqual({
      cutByFrame: 1,
      partlyCovered: 0,
      bucket: 'cut by frame',
    });
  });

  it('counts a person with a nearer one in front of a third of it as partly covered, not the nearer one', () => {
    const back = box(100, 100, 100, 300);
    const front = box(150, 150, 100, 300);
    expect(occlusionOf([], [back, front], 1000, 800)).toMatchObject({
      partlyCovered: 1,
      bucket: 'partly occluded',
    });
    expect(occlusionOf([], [back, box(500, 100, 100, 300)], 1000, 800).bucket).toBe('none');
  });

  it('counts a face whose landmarks fall outside its box as partly covered', () => {
    const face = { ...box(100, 100, 50, 60), landmarks: [110, 120, 140, 120, 125, 135, 112, 150, 138, 150] };
    expect(occlusionOf([face], [], 1000, 800).bucket).toBe('none');
    const odd = { ...face, landmarks: [110, 120, 140, 120, 125, 135, 112, 190, 138, 190] };
    expect(occlusionOf([odd], [], 1000, 800).bucket).toBe('partly occluded');
  });

  it('says no subject without faces, people, vehicles or animals', () => {
    expect(occlusionOf([], [box(0, 0, 10, 10, 'cup')], 100, 100).bucket).toBe('no subject');
  });
});

describe('contentOf', () => {
  it('counts classes, people (faces when more) and vehicles', () => {
    const content = contentOf(
      [box(0, 0, 5, 5), box(10, 0, 5, 5), box(20, 0, 5, 5)],
      [box(0, 0, 5, 5), box(0, 0, 9, 9, 'car'), box(0, 0, 9, 9, 'truck'), box(0, 0, 9, 9, 'car')],
    );
    expect(content).toMatchObject({ people: 3, vehicles: 3, bucket: 'people and vehicles' });
    expect(content.classes).toEqual([
      { label: 'car', count: 2 },
      { label: 'person', count: 1 },
      { label: 'truck', count: 1 },
    ]);
    expect(contentOf([], [box(0, 0, 9, 9, 'dog')]).bucket).toBe('animals');
    expect(contentOf([], [box(0, 0, 9, 9, 'cup')]).bucket).toBe('objects only');
    expect(contentOf([], []).bucket).toBe('empty');
  });
});
