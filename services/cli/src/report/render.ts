// The dataset report as one self-contained HTML page: the report's JSON and Chart.js (inlined, no
// network) draw every chart in the browser.

export interface Bin {
  label: string;
  count: number;
}

/** The JSON of GET /v1/projects/:id/report (annotation-router). */
export interface DatasetReport {
  projectId: string;
  batchId: string | null;
  generatedAt: string;
  counts: {
    images: number;
    curated: number;
    rejected: number;
    pendingAnnotation: number;
    processing: number;
  };
  distributions: Record<
    | 'brightness'
    | 'contrast'
    | 'colourfulness'
    | 'megapixels'
    | 'aspectRatio'
    | 'cameraModel'
    | 'orientation'
    | 'exifOrientation'
    | 'captureHour'
    | 'agreement',
    Bin[]
  >;
  classBalance: Bin[];
  rejectionReasons: Bin[];
  rejectionsOverTime: { buckets: string[]; series: Array<{ reason: string; counts: number[] }> };
  nearDuplicateClusters: {
    clusters: number;
    largest: number;
    sizes: Bin[];
    top: Array<{ imageId: string; copies: number }>;
  };
  targets: TargetCheck[];
  /** What the images show (issue 24); absent from a server without content descriptors. */
  coverage?: {
    images: number;
    axes: Record<CoverageAxis, Array<Bin & { share: number }>>;
    scenes: { clusters: number; effective: number; largestShare: number };
    meanNovelty: number;
    newSceneShare: number;
    targets: TargetCheck[];
  };
}

interface TargetCheck {
  target: string;
  required: number;
  actual: number;
  met: boolean;
  message: string;
}

type CoverageAxis = 'timeOfDay' | 'place' | 'backlight' | 'viewpoint' | 'distance' | 'occlusion' | 'content';

/** The charts, in page order: [element id, title, kind, where the bins are]. */
export const CHARTS: ReadonlyArray<[string, string, 'bar' | 'hbar' | 'doughnut' | 'stacked', string]> = [
  ['brightness', 'Brightness (median luminance, 0–255)', 'bar', 'distributions.brightness'],
  ['contrast', 'Contrast (5th–95th percentile spread)', 'bar', 'distributions.contrast'],
  ['colourfulness', 'Colourfulness', 'bar', 'distributions.colourfulness'],
  ['megapixels', 'Resolution (megapixels)', 'bar', 'distributions.megapixels'],
  ['aspectRatio', 'Aspect ratio (width / height)', 'bar', 'distributions.aspectRatio'],
  ['cameraModel', 'Camera make and model', 'hbar', 'distributions.cameraModel'],
  ['orientation', 'Orientation', 'doughnut', 'distributions.orientation'],
  ['exifOrientation', 'EXIF orientation applied', 'bar', 'distributions.exifOrientation'],
  ['captureHour', 'Capture hour (camera clock)', 'bar', 'distributions.captureHour'],
  ['rejectionReasons', 'Rejection reasons', 'hbar', 'rejectionReasons'],
  ['rejectionsOverTime', 'Rejections over time', 'stacked', 'rejectionsOverTime'],
  ['nearDuplicates', 'Near-duplicate clusters (images per cluster)', 'bar', 'nearDuplicateClusters.sizes'],
  ['classBalance', 'Class balance (labels per class)', 'bar', 'classBalance'],
  ['agreement', 'Annotation agreement', 'bar', 'distributions.agreement'],
  ['coverageTimeOfDay', 'Content: time of day', 'doughnut', 'coverage.axes.timeOfDay'],
  ['coveragePlace', 'Content: indoor / outdoor', 'doughnut', 'coverage.axes.place'],
  ['coverageBacklight', 'Content: backlight', 'doughnut', 'coverage.axes.backlight'],
  ['coverageViewpoint', 'Content: viewpoint (head pose)', 'hbar', 'coverage.axes.viewpoint'],
  ['coverageDistance', 'Content: subject distance', 'hbar', 'coverage.axes.distance'],
  ['coverageOcclusion', 'Content: occlusion', 'hbar', 'coverage.axes.occlusion'],
  ['coverageContent', 'Content: what is in the picture', 'hbar', 'coverage.axes.content'],
];

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
/** Text safe inside a <script> element. */
const scriptSafe = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

function targetTable(checks: TargetCheck[], none: string): string {
  return checks.length === 0
    ? `<p class="muted">${none}</p>`
    : `<table><thead><tr><th>target</th><th>required</th><th>actual</th><th></th></tr></thead><tbody>${checks
        .map(
          (target) =>
            `<tr class="${target.met ? 'met' : 'unmet'}"><td>${escapeHtml(target.target)}</td><td>${target.required}</td><td>${target.actual}</td><td>${target.met ? '✔ met' : '✘ not met'}: ${escapeHtml(target.message)}</td></tr>`,
        )
        .join('')}</tbody></table>`;
}

export function renderReportHtml(report: DatasetReport, chartJs: string): string {
  const title = `Dataset report — ${report.projectId}${report.batchId ? ` / ${report.batchId}` : ''}`;
  const c = report.counts;
  const unmet = report.targets.filter((target) => !target.met).length;
  const targets = targetTable(
    report.targets,
    'The project policy sets no diversity targets (<code>dataset.targets</code>).',
  );
  const coverage = report.coverage;
  const coverageBlock = !coverage
    ? '<p class="muted">No content descriptors in this report.</p>'
    : `<div class="counts">
  <div><b>${coverage.images}</b>images described</div><div><b>${coverage.scenes.clusters}</b>scene clusters</div>
  <div><b>${coverage.scenes.effective}</b>effective distinct scenes</div><div><b>${Math.round(coverage.scenes.largestShare * 100)} %</b>in the largest scene</div>
  <div><b>${coverage.meanNovelty}</b>mean novelty</div><div><b>${Math.round(coverage.newSceneShare * 100)} %</b>new scenes</div>
</div>
${targetTable(coverage.targets, 'The project policy sets no content targets (<code>dataset.minBucketShare</code>, <code>maxSceneClusterShare</code>, <code>minBatchNovelty</code>).')}`;
  const charts = CHARTS.filter(([, , , path]) => coverage || !path.startsWith('coverage.'))
    .map(
      ([id, heading]) =>
        `<section class="chart"><h2>${escapeHtml(heading)}</h2><div class="frame"><canvas id="chart-${id}"></canvas></div></section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 14px; margin: 0 0 8px; }
  .muted { color: #667; }
  .counts { display: flex; gap: 12px; margin: 16px 0; flex-wrap: wrap; }
  .counts div { background: #fff; border-radius: 8px; padding: 10px 16px; box-shadow: 0 1px 2px #0002; }
  .counts b { display: block; font-size: 20px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 16px; }
  .chart { background: #fff; border-radius: 8px; padding: 12px; box-shadow: 0 1px 2px #0002; }
  .frame { position: relative; height: 240px; }
  table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; }
  td, th { padding: 6px 10px; border-bottom: 1px solid #e3e5ea; text-align: left; }
  tr.unmet td { background: #fdecec; } tr.met td { background: #ecf8ef; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Generated ${escapeHtml(report.generatedAt)}. Distributions cover the images that passed quality; class balance and agreement the curated ones.</p>
<div class="counts">
  <div><b>${c.images}</b>images</div><div><b>${c.curated}</b>curated</div><div><b>${c.rejected}</b>rejected</div>
  <div><b>${c.pendingAnnotation}</b>pending annotation</div><div><b>${c.processing}</b>processing</div>
  <div><b>${report.nearDuplicateClusters.clusters}</b>near-duplicate clusters</div>
</div>
<h2>Diversity targets${report.targets.length > 0 ? ` (${unmet} not met)` : ''}</h2>
${targets}
<h2>What the images show: coverage${coverage && coverage.targets.length > 0 ? ` (${coverage.targets.filter((t) => !t.met).length} content targets not met)` : ''}</h2>
${coverageBlock}
<div class="grid">
${charts}
</div>
<script id="report-data" type="application/json">${scriptSafe(JSON.stringify(report))}</script>
<script>${scriptSafe(chartJs)}</script>
<script>
(function () {
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var charts = ${scriptSafe(JSON.stringify(CHARTS.filter(([, , , path]) => coverage || !path.startsWith('coverage.'))))};
  var palette = ['#3b6fd8', '#e0793b', '#34a36b', '#c94a6b', '#8a5cd0', '#2aa6b8', '#b8a52a', '#666f80'];
  var at = function (path) { return path.split('.').reduce(function (value, key) { return value[key]; }, report); };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  charts.forEach(function (chart) {
    var id = chart[0], kind = chart[2], data = at(chart[3]);
    var canvas = document.getElementById('chart-' + id);
    if (kind === 'stacked') {
      new Chart(canvas, {
        type: 'bar',
        data: { labels: data.buckets, datasets: data.series.map(function (s, i) {
          return { label: s.reason, data: s.counts, backgroundColor: palette[i % palette.length] };
        }) },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
      });
      return;
    }
    var labels = data.map(function (bin) { return bin.label; });
    var counts = data.map(function (bin) { return bin.count; });
    new Chart(canvas, {
      type: kind === 'doughnut' ? 'doughnut' : 'bar',
      data: { labels: labels, datasets: [{ label: 'images', data: counts,
        backgroundColor: kind === 'doughnut' ? palette : palette[charts.indexOf(chart) % palette.length] }] },
      options: kind === 'doughnut' ? {} : {
        indexAxis: kind === 'hbar' ? 'y' : 'x',
        plugins: { legend: { display: false } },
        scales: kind === 'hbar' ? { x: { beginAtZero: true, ticks: { precision: 0 } } } : { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
  window.apertureChartsDrawn = Object.keys(Chart.instances).length;
})();
</script>
</body>
</html>
`;
}
