import { createServiceMetrics } from '@aperture/telemetry';

describe('createServiceMetrics', () => {
  it('exposes the aperture series with the service label, and the process defaults', async () => {
    const metrics = createServiceMetrics('quality');
    metrics.stageMessages.inc({ topic: 'aperture.image.ingested.v1', outcome: 'done' });
    metrics.rejections.inc({ stage: 'quality', reason: 'blurry' }, 2);
    metrics.stageDuration.observe({ outcome: 'done' }, 0.3);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'aperture_stage_messages_total{topic="aperture.image.ingested.v1",outcome="done",service="quality"} 1',
    );
    expect(text).toContain('aperture_rejections_total{stage="quality",reason="blurry",service="quality"} 2');
    expect(text).toContain(
      'aperture_stage_duration_seconds_bucket{le="0.5",service="quality",outcome="done"} 1',
    );
    expect(text).toContain(
      'aperture_stage_duration_seconds_bucket{le="0.25",service="quality",outcome="done"} 0',
    );
    expect(text).toMatch(/^process_cpu_user_seconds_total\{service="quality"\} /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="quality"\} /m);
  });

  it('keeps each service in its own registry', async () => {
    const a = createServiceMetrics('a');
    const b = createServiceMetrics('b');
    a.images.inc({ stage: 'quality', outcome: 'passed' });
    expect(await b.registry.metrics()).not.toContain('aperture_images_total{');
  });

  it('computes a collected gauge at scrape time, and leaves it empty when collection fails or is slow', async () => {
    const metrics = createServiceMetrics('router');
    let lag = 5;
    let mode: 'ok' | 'throw' | 'hang' = 'ok';
    metrics.addCollectedGauge({
      name: 'test_lag',
      help: 'test',
      labelNames: ['partition'] as const,
      timeoutMs: 50,
      collect: async (set) => {
        set({ partition: 0 }, lag);
        if (mode === 'throw') throw new Error('broker unreachable');
        if (mode === 'hang') await new Promise((resolve) => setTimeout(resolve, 500));
        set({ partition: 1 }, lag * 2);
      },
    });
    const series = async () =>
      (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('test_lag{'));

    expect(await series()).toEqual([
      'test_lag{partition="0",service="router"} 5',
      'test_lag{partition="1",service="router"} 10',
    ]);
    lag = 7;
    expect(await series()).toEqual([
      'test_lag{partition="0",service="router"} 7',
      'test_lag{partition="1",service="router"} 14',
    ]);
    mode = 'throw';
    expect(await series()).toEqual([]);
    mode = 'hang';
    expect(await series()).toEqual([]);
  });
});
