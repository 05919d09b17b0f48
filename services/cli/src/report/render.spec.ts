import { chartJsSource } from './command';
import { CHARTS, type DatasetReport, renderReportHtml } from './render';

const bins = (...counts: number[]) => counts.map((count, i) => ({ label: `b${i}`, count }));
const sampleReport: DatasetReport = {
  projectId: 'prj_1',
  batchId: null,
  generatedAt: '2026-11-24T00:00:00.000Z',
  counts: { images: 10, curated: 7, rejected: 3, pendingAnnotation: 0, processing: 0 },
  distributions: {
    brightness: bins(1, 3, 2),
    contrast: bins(2, 5),
    colourfulness: bins(4, 3),
    megapixels: bins(1, 6),
    aspectRatio: bins(2, 5),
    cameraModel: [{ label: 'Canon EOS 40D </script><b>', count: 3 }],
    orientation: bins(5, 2),
    exifOrientation: bins(6, 1),
    captureHour: bins(0, 2, 5),
    agreement: bins(0, 7),
  },
  classBalance: bins(4, 3),
  rejectionReasons: bins(2, 1),
  rejectionsOverTime: { buckets: ['2026-11-24T00:00Z'], series: [{ reason: 'corrupt', counts: [2] }] },
  nearDuplicateClusters: { clusters: 1, largest: 8, sizes: bins(1), top: [{ imageId: 'img_1', copies: 7 }] },
  targets: [
    {
      target: 'minCameraModels',
      required: 3,
      actual: 1,
      met: false,
      message: '1 camera models; the policy asks for at least 3',
    },
  ],
  coverage: {
    images: 7,
    axes: {
      timeOfDay: [{ label: 'night', count: 7, share: 1 }],
      place: [{ label: 'indoor', count: 7, share: 1 }],
      backlight: [{ label: 'front-lit', count: 7, share: 1 }],
      viewpoint: [{ label: 'rear view', count: 7, share: 1 }],
      distance: [{ label: 'far', count: 7, share: 1 }],
      occlusion: [{ label: 'none', count: 7, share: 1 }],
      content: [{ label: 'people', count: 7, share: 1 }],
    },
    scenes: { clusters: 2, effective: 1.5, largestShare: 0.714 },
    meanNovelty: 0.12,
    newSceneShare: 0.286,
    targets: [
      {
        target: 'maxSceneClusterShare',
        required: 0.5,
        actual: 0.714,
        met: false,
        message: 'the largest scene cluster holds 71.4 % of the images; at most 50 % asked',
      },
    ],
  },
};

describe('renderReportHtml', () => {
  const html = renderReportHtml(sampleReport, 'window.Chart = function () {}; /* </script> */');

  it('is one page with a canvas per chart, the data and the chart library inlined', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<canvas id="chart-/g)).toHaveLength(CHARTS.length);
    expect(html).toContain('window.Chart = function () {}; /* <\\/script> */');
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing loaded from elsewhere
    expect(html).not.toContain('EOS 40D </script>'); // data cannot close its script element
  });

  it('shows the content coverage, its targets and charts, and leaves them out of a report without them', () => {
    expect(html).toContain('<b>1.5</b>effective distinct scenes');
    expect(html).toContain('(1 content targets not met)');
    expect(html).toContain('<canvas id="chart-coverageViewpoint">');
    const { coverage: _none, ...older } = sampleReport;
    const plain = renderReportHtml(older, '');
    expect(plain).toContain('No content descriptors in this report.');
    expect(plain.match(/<canvas id="chart-/g)).toHaveLength(
      CHARTS.filter(([, , , path]) => !path.startsWith('coverage.')).length,
    );
  });

  it('flags unmet diversity targets', () => {
    expect(html).toContain('Diversity targets (1 not met)');
    expect(html).toContain(
      '<tr class="unmet"><td>minCameraModels</td><td>3</td><td>1</td><td>✘ not met: 1 camera models; the policy asks for at least 3</td></tr>',
    );
  });

  it('inlines Chart.js from the installed package', () => {
    const source = chartJsSource();
    expect(source).toContain('Chart.js v4.6.1');
    expect(source.length).toBeGreaterThan(100_000);
  });
});
