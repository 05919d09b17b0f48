import { changedShare, evaluateSet, scorePhoto } from './evaluation';

const box = (x: number, width: number, ignore = false) => ({ x, y: 0, width, height: width, ignore });
const hit = (x: number, width: number, score = 0.9) => ({ x, y: 0, width, height: width, score });

describe('scorePhoto', () => {
  it("matches one detection per label, best score first; a detection on a don't-care label is not a false alarm", () => {
    const labels = [box(0, 30), box(100, 12), box(200, 10, true)];
    const score = scorePhoto({
      labels,
      detections: [hit(2, 30), hit(1, 30, 0.5), hit(201, 10), hit(400, 20)],
      changed: [],
    });
    expect(score.found).toEqual([true, false, false]);
    expect(score.falseAlarms).toBe(2);
  });

  it('leaves narrow unmatched detections out when asked (unreadable background plates)', () => {
    const score = scorePhoto({
      labels: [],
      detections: [hit(0, 20), hit(100, 40)],
      changed: [],
      ignoreNarrowerThan: 25,
    });
    expect(score.falseAlarms).toBe(1);
  });
});

describe('evaluateSet', () => {
  it('reports recall, changed faces and pixels per band, and false alarms per empty photo', () => {
    const report = evaluateSet([
      {
        labels: [box(0, 30), box(100, 20), box(200, 10)],
        detections: [hit(0, 30), hit(100, 20)],
        changed: [1, 0.5, 0],
      },
      { labels: [], detections: [hit(0, 40)], changed: [] },
      { labels: [], detections: [], changed: [] },
    ]);
    expect(report.bands.map((b) => [b.label, b.found, b.labels, b.foundChanged])).toEqual([
      ['< 16 px', 0, 1, 0],
      ['16-24 px', 1, 1, 0],
      ['>= 24 px', 1, 1, 1],
    ]);
    expect(report.all.pixelShare).toBeCloseTo((900 + 200) / (900 + 400 + 100));
    expect(report.emptyPhotos).toBe(2);
    expect(report.falseAlarmsPerEmptyPhoto).toBe(0.5);
  });
});

describe('changedShare', () => {
  it('counts the pixels of a box where any channel differs', () => {
    const a = new Uint8Array(4 * 2 * 3);
    const b = Uint8Array.from(a);
    b[0] = 1;
    b[3 * 3 + 2] = 9;
    expect(changedShare(a, b, 4, 2, 3, { x: 0, y: 0, width: 4, height: 2 })).toBe(2 / 8);
    expect(changedShare(a, b, 4, 2, 3, { x: 1, y: 0, width: 2, height: 2 })).toBe(0);
  });
});
