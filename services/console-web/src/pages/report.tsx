import {
  ArcElement,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { Bar, Doughnut } from 'react-chartjs-2';
import type { Bin, Project } from '../api';
import { useFetch } from '../hooks';
import { hrefOf } from '../routes';

ChartJS.register(ArcElement, BarElement, CategoryScale, LinearScale, Legend, Tooltip);
ChartJS.defaults.animation = false;

interface Report {
  projectId: string;
  generatedAt: string;
  counts: Record<string, number>;
  distributions: Record<string, Bin[]>;
  classBalance: Bin[];
  rejectionReasons: Bin[];
  rejectionsOverTime: { buckets: string[]; series: Array<{ reason: string; counts: number[] }> };
  nearDuplicateClusters: { clusters: number; largest: number; sizes: Bin[] };
  targets: Check[];
  /** What the images show (issue 24); absent from a server without content descriptors. */
  coverage?: {
    images: number;
    axes: Record<string, Bin[]>;
    scenes: { clusters: number; effective: number; largestShare: number };
    meanNovelty: number;
    newSceneShare: number;
    targets: Check[];
  };
}

interface Check {
  target: string;
  required: number;
  actual: number;
  met: boolean;
  message: string;
}

const PALETTE = ['#3b6fd8', '#e0793b', '#34a36b', '#c94a6b', '#8a5cd0', '#2aa6b8', '#b8a52a', '#666f80'];

/** The charts of `npx aperture report` (services/cli/src/report/render.ts), in the same order. */
const CHARTS: Array<[string, string, 'bar' | 'hbar' | 'doughnut', (report: Report) => Bin[]]> = [
  ['brightness', 'Brightness (median luminance, 0–255)', 'bar', (r) => r.distributions['brightness'] ?? []],
  ['contrast', 'Contrast (5th–95th percentile spread)', 'bar', (r) => r.distributions['contrast'] ?? []],
  ['colourfulness', 'Colourfulness', 'bar', (r) => r.distributions['colourfulness'] ?? []],
  ['megapixels', 'Resolution (megapixels)', 'bar', (r) => r.distributions['megapixels'] ?? []],
  ['aspectRatio', 'Aspect ratio (width / height)', 'bar', (r) => r.distributions['aspectRatio'] ?? []],
  ['cameraModel', 'Camera make and model', 'hbar', (r) => r.distributions['cameraModel'] ?? []],
  ['orientation', 'Orientation', 'doughnut', (r) => r.distributions['orientation'] ?? []],
  ['captureHour', 'Capture hour (camera clock)', 'bar', (r) => r.distributions['captureHour'] ?? []],
  ['rejectionReasons', 'Rejection reasons', 'hbar', (r) => r.rejectionReasons],
  [
    'nearDuplicates',
    'Near-duplicate clusters (images per cluster)',
    'bar',
    (r) => r.nearDuplicateClusters.sizes,
  ],
  ['classBalance', 'Class balance (labels per class)', 'bar', (r) => r.classBalance],
  ['agreement', 'Annotation agreement', 'bar', (r) => r.distributions['agreement'] ?? []],
  ['coverageTimeOfDay', 'Content: time of day', 'doughnut', (r) => r.coverage?.axes['timeOfDay'] ?? []],
  ['coveragePlace', 'Content: indoor / outdoor', 'doughnut', (r) => r.coverage?.axes['place'] ?? []],
  ['coverageBacklight', 'Content: backlight', 'doughnut', (r) => r.coverage?.axes['backlight'] ?? []],
  ['coverageViewpoint', 'Content: viewpoint (head pose)', 'hbar', (r) => r.coverage?.axes['viewpoint'] ?? []],
  ['coverageDistance', 'Content: subject distance', 'hbar', (r) => r.coverage?.axes['distance'] ?? []],
  ['coverageOcclusion', 'Content: occlusion', 'hbar', (r) => r.coverage?.axes['occlusion'] ?? []],
  ['coverageContent', 'Content: what is in the picture', 'hbar', (r) => r.coverage?.axes['content'] ?? []],
];

export function ReportPage({ projectId }: { projectId?: string | undefined }) {
  const projects = useFetch<{ projects: Project[] }>('/console/api/projects');
  const chosen = projectId ?? projects.data?.projects[0]?.projectId;
  const report = useFetch<Report>(
    chosen ? `/console/api/projects/${encodeURIComponent(chosen)}/report` : null,
  );

  return (
    <section>
      <h1>Dataset report</h1>
      <div className="filters">
        <select
          aria-label="project"
          value={chosen ?? ''}
          onChange={(event) =>
            (window.location.hash = hrefOf({ page: 'report', projectId: event.target.value }))
          }
        >
          {projects.data?.projects.map((project) => (
            <option key={project.projectId} value={project.projectId}>
              {project.name} ({project.projectId})
            </option>
          ))}
        </select>
      </div>
      {report.error && <p className="error">{report.error.message}</p>}
      {report.data && (
        <>
          <p data-testid="report-counts">
            {Object.entries(report.data.counts)
              .map(([name, count]) => `${name} ${count}`)
              .join(' · ')}
          </p>
          {report.data.coverage && (
            <p data-testid="report-coverage">
              {`${report.data.coverage.images} images described · ${report.data.coverage.scenes.clusters} scene clusters · ${report.data.coverage.scenes.effective} effective distinct scenes · ${Math.round(report.data.coverage.scenes.largestShare * 100)} % in the largest · mean novelty ${report.data.coverage.meanNovelty}`}
            </p>
          )}
          {report.data.targets.length + (report.data.coverage?.targets.length ?? 0) > 0 && (
            <ul className="targets">
              {[...report.data.targets, ...(report.data.coverage?.targets ?? [])].map((target) => (
                <li key={target.target} className={target.met ? 'ok' : 'error'}>
                  {target.message}
                </li>
              ))}
            </ul>
          )}
          <div className="charts" data-testid="charts">
            {CHARTS.filter(([id]) => report.data!.coverage || !id.startsWith('coverage')).map(
              ([id, title, kind, bins], index) => {
                const data = bins(report.data!);
                const chart = {
                  labels: data.map((bin) => bin.label),
                  datasets: [
                    {
                      label: 'images',
                      data: data.map((bin) => bin.count),
                      backgroundColor: kind === 'doughnut' ? PALETTE : PALETTE[index % PALETTE.length],
                    },
                  ],
                };
                return (
                  <figure key={id} className="chart">
                    <figcaption>{title}</figcaption>
                    <div className="frame">
                      {kind === 'doughnut' ? (
                        <Doughnut data={chart} options={{ maintainAspectRatio: false }} />
                      ) : (
                        <Bar
                          data={chart}
                          options={{
                            maintainAspectRatio: false,
                            indexAxis: kind === 'hbar' ? 'y' : 'x',
                            plugins: { legend: { display: false } },
                          }}
                        />
                      )}
                    </div>
                  </figure>
                );
              },
            )}
          </div>
        </>
      )}
    </section>
  );
}
