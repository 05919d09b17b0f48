import { goldScore, iou, keypointSimilarity, mergeAnnotations, type ConsensusSettings } from './consensus';
import type { Label } from './labels';

const size = { width: 1000, height: 1000 };
const settings = (taskType: ConsensusSettings['taskType']): ConsensusSettings => ({
  taskType,
  iouThreshold: 0.5,
  keypointDistance: 0.05,
});
const box = (className: string, x: number, y: number, width = 100, height = 100): Label => ({
  className,
  box: { x, y, width, height },
  attributes: {},
});
const by = (annotatorId: string, ...labels: Label[]) => ({ annotatorId, annotation: { labels } });

describe('consensus', () => {
  it('computes IoU', () => {
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 })).toBe(1);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(
      1 / 3,
    );
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
  });

  it('votes classes by majority', () => {
    const label = (className: string, colour: string): Label => ({ className, attributes: { colour } });
    const result = mergeAnnotations(
      [by('a', label('cat', 'red')), by('b', label('cat', 'red')), by('c', label('dog', 'blue'))],
      settings('classification'),
      size,
    );
    expect(result.merged).toEqual({ labels: [{ className: 'cat', attributes: { colour: 'red' } }] });
    expect(result.agreement).toBeCloseTo(2 / 3);
    expect(mergeAnnotations([by('a', label('cat', 'red'))], settings('classification'), size).agreement).toBe(
      1,
    );
  });

  it('clusters boxes by IoU, averages them and scores the agreement', () => {
    const same = mergeAnnotations(
      [
        by('a', box('car', 100, 100), box('person', 500, 500)),
        by('b', box('car', 104, 100), box('person', 500, 506)),
        by('c', box('car', 100, 98), box('person', 498, 500)),
      ],
      settings('bbox'),
      size,
    );
    expect(same.merged.labels).toHaveLength(2);
    expect(same.merged.labels[0]!.box!.x).toBeCloseTo(101.333, 2);
    expect(same.agreement).toBeGreaterThan(0.9);

    // One annotator sees a second object, another calls the car a bus: lower agreement.
    const split = mergeAnnotations(
      [
        by('a', box('car', 100, 100), box('person', 500, 500)),
        by('b', box('car', 100, 100)),
        by('c', box('bus', 100, 100)),
      ],
      settings('bbox'),
      size,
    );
    expect(split.merged.labels).toEqual([
      { className: 'car', box: { x: 100, y: 100, width: 100, height: 100 }, attributes: {} },
    ]);
    expect(split.agreement).toBeCloseTo(2 / 3 / 2);

    // Boxes that do not overlap enough are different objects, each held by a minority.
    const apart = mergeAnnotations(
      [by('a', box('car', 100, 100)), by('b', box('car', 160, 100))],
      settings('bbox'),
      size,
    );
    expect(apart).toEqual({ merged: { labels: [] }, agreement: 0 });
    expect(mergeAnnotations([by('a'), by('b')], settings('bbox'), size)).toEqual({
      merged: { labels: [] },
      agreement: 1,
    });
  });

  it('merges polygons by their bounds and keypoints by distance', () => {
    const polygon = (dx: number): Label => ({
      className: 'roof',
      polygon: [
        { x: 10 + dx, y: 10 },
        { x: 110 + dx, y: 10 },
        { x: 60 + dx, y: 90 },
      ],
      attributes: {},
    });
    const merged = mergeAnnotations(
      [by('a', polygon(0)), by('b', polygon(2)), by('c', polygon(40))],
      settings('polygon'),
      size,
    );
    expect(merged.merged.labels).toHaveLength(1);
    expect(merged.merged.labels[0]!.polygon![0]).toEqual({ x: 10, y: 10 }); // a and b tie for the mean bounds: the first is kept

    const face = (nx: number, eyeVisible: boolean): Label => ({
      className: 'face',
      keypoints: [
        { name: 'nose', x: nx, y: 500, visible: true },
        { name: 'left_eye', x: 480, y: 450, visible: eyeVisible },
      ],
      attributes: {},
    });
    expect(keypointSimilarity(face(500, true).keypoints!, face(520, true).keypoints!, 50)).toBe(1);
    expect(keypointSimilarity(face(500, true).keypoints!, face(600, false).keypoints!, 50)).toBe(0);
    const points = mergeAnnotations(
      [by('a', face(500, true)), by('b', face(510, true)), by('c', face(520, false))],
      settings('keypoints'),
      size,
    );
    expect(points.merged.labels[0]!.keypoints).toEqual([
      { name: 'nose', x: 510, y: 500, visible: true },
      { name: 'left_eye', x: 480, y: 450, visible: true },
    ]);
    expect(points.agreement).toBeLessThan(1);
  });

  it('scores a gold result against the known answer', () => {
    const answer = { labels: [box('car', 100, 100), box('person', 500, 500)] };
    expect(goldScore(answer, answer, settings('bbox'), size)).toBe(1);
    expect(goldScore(answer, { labels: [box('car', 100, 100)] }, settings('bbox'), size)).toBe(0.5);
    expect(goldScore(answer, { labels: [] }, settings('bbox'), size)).toBe(0);
    const cat = { labels: [{ className: 'cat', attributes: {} }] };
    expect(
      goldScore(cat, { labels: [{ className: 'dog', attributes: {} }] }, settings('classification'), size),
    ).toBe(0);
  });
});
