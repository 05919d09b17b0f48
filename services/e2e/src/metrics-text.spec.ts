import { parseMetrics, seriesOf, sumOf } from './metrics-text';

const page = `# HELP aperture_images_total Images each stage passed on or rejected.
# TYPE aperture_images_total counter
aperture_images_total{stage="quality",outcome="passed",service="quality"} 7
aperture_images_total{stage="quality",outcome="rejected",service="standardize"} 2
aperture_images_total{stage="compliance",outcome="rejected",service="quality"} 1

aperture_outbox_backlog{service="ingest"} 0
process_start_time_seconds 1764000000
odd_label{message="say \\"hi\\"\\nbye"} 1.5e3
`;

describe('parseMetrics', () => {
  it('reads names, labels (with escapes) and values, skipping comments and blank lines', () => {
    const samples = parseMetrics(page);
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({
      name: 'aperture_images_total',
      labels: { stage: 'quality', outcome: 'passed', service: 'quality' },
      value: 7,
    });
    expect(samples[4]).toEqual({ name: 'process_start_time_seconds', labels: {}, value: 1764000000 });
    expect(samples[5]).toEqual({ name: 'odd_label', labels: { message: 'say "hi"\nbye' }, value: 1500 });
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parseMetrics('aperture_images_total{stage="quality"}')).toThrow('not a Prometheus sample');
  });

  it('selects and sums series by a subset of their labels', () => {
    const samples = parseMetrics(page);
    expect(seriesOf(samples, 'aperture_images_total', { outcome: 'rejected' })).toHaveLength(2);
    expect(sumOf(samples, 'aperture_images_total', { outcome: 'rejected' })).toBe(3);
    expect(sumOf(samples, 'aperture_images_total', { stage: 'quality' })).toBe(9);
    expect(sumOf(samples, 'aperture_images_total', { stage: 'missing' })).toBe(0);
  });
});
