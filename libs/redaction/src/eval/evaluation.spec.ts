import { evaluate, matchDetections } from './evaluation';

const face = (x: number, size: number) => ({ x, y: 0, width: size, height: size });

describe('matchDetections', () => {
  it('matches each label at most once, best score first', () => {
    const labels = [face(0, 30)];
    const detections = [
      { ...face(2, 30), score: 0.6 },
      { ...face(0, 30), score: 0.9 },
    ];
    expect(matchDetections(labels, detections)).toEqual([-1, 0]);
  });

  it('does not match a box that barely overlaps', () => {
    expect(matchDetections([face(0, 30)], [{ ...face(25, 30), score: 0.9 }])).toEqual([-1]);
  });
});

describe('evaluate', () => {
  it('reports recall, precision, the >= 24 px figures and the size buckets', () => {
    const report = evaluate([
      {
        labels: [face(0, 20), face(100, 30), face(200, 100)],
        detections: [{ ...face(100, 30), score: 0.9 }],
      },
      {
        labels: [face(0, 50)],
        detections: [
          { ...face(0, 50), score: 0.8 },
          { ...face(300, 40), score: 0.7 },
        ],
      },
    ]);
    expect(report).toMatchObject({
      labels: 4,
      detections: 3,
      truePositives: 2,
      recall: 0.5,
      precision: 2 / 3,
    });
    expect(report.atLeast24).toEqual({ labels: 3, found: 2, recall: 2 / 3 });
    expect(report.precisionAtLeast24).toBeCloseTo(2 / 3);
    expect(report.buckets.map((b) => [b.label, b.labels, b.found])).toEqual([
      ['0-23 px', 1, 0],
      ['24-47 px', 1, 1],
      ['48-95 px', 1, 1],
      ['96-191 px', 1, 0],
      ['>= 192 px', 0, 0],
    ]);
  });
});
