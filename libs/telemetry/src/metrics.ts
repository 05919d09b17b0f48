import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The Prometheus metrics of one service, in a registry of its own (several services can run in one
 * test process). Every series carries `service`. Served as text by `GET /metrics` (HealthModule).
 *
 * Names and labels (helm/README.md shows dashboards and alerts built on them):
 * - `aperture_stage_messages_total{topic,outcome}`: consumed messages by handler outcome
 *   (`done`, `duplicate` = a redelivery found already handled, `skipped`, `failed` = one failed
 *   attempt that will be retried, `dead_lettered`).
 * - `aperture_stage_duration_seconds{outcome}`: time to handle one message, by the same outcome.
 * - `aperture_images_total{stage,outcome}`: images a stage passed on (`passed`, `accepted` for
 *   ingest, `curated`) or rejected, counted when the event that announces it is published.
 * - `aperture_rejections_total{stage,reason}`: each reason of each published rejection.
 * - `aperture_kafka_consumer_lag{group,topic,partition}`: messages not yet committed by the group.
 * - `aperture_outbox_backlog`: writes whose events are not yet published (their outbox claims).
 * - `aperture_db_commands_total{command,collection}`: every command the service sent to the
 *   database (the driver's command monitoring), so round trips per image can be counted.
 * - `aperture_blob_store_errors_total{operation,kind}`: failed blob store calls (`not_found` or
 *   `failure`; refusals of bad input, such as an upload over the size limit, are not errors).
 * - prom-client's default `process_*` and `nodejs_*` metrics (CPU, memory, event loop lag, GC).
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly stageMessages: Counter<'topic' | 'outcome'>;
  readonly stageDuration: Histogram<'outcome'>;
  readonly images: Counter<'stage' | 'outcome'>;
  readonly rejections: Counter<'stage' | 'reason'>;
  readonly blobStoreErrors: Counter<'operation' | 'kind'>;
  readonly dbCommands: Counter<'command' | 'collection'>;
  /**
   * Adds a gauge whose value is computed at scrape time. `collect` sets it through `set`; if it
   * throws or takes longer than `timeoutMs`, the gauge is left empty for that scrape (a missing
   * series, rather than a stale value that looks current).
   */
  addCollectedGauge<L extends string>(options: {
    name: string;
    help: string;
    labelNames?: readonly L[];
    timeoutMs?: number;
    collect: (set: (labels: Partial<Record<L, string | number>>, value: number) => void) => Promise<void>;
  }): void;
}

export function createServiceMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    stageMessages: new Counter({
      name: 'aperture_stage_messages_total',
      help: 'Consumed messages by handler outcome (done, duplicate, skipped, failed, dead_lettered).',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
    stageDuration: new Histogram({
      name: 'aperture_stage_duration_seconds',
      help: 'Time to handle one consumed message, by outcome.',
      labelNames: ['outcome'] as const,
      // Sized for image work: a thumbnail-sized PNG in milliseconds, a 50 MP HEIC in seconds.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    images: new Counter({
      name: 'aperture_images_total',
      help: 'Images each stage passed on or rejected, counted when the announcing event is published.',
      labelNames: ['stage', 'outcome'] as const,
      registers,
    }),
    rejections: new Counter({
      name: 'aperture_rejections_total',
      help: 'Rejection reasons of published rejections, by stage.',
      labelNames: ['stage', 'reason'] as const,
      registers,
    }),
    blobStoreErrors: new Counter({
      name: 'aperture_blob_store_errors_total',
      help: 'Failed blob store calls by operation and kind (not_found, failure).',
      labelNames: ['operation', 'kind'] as const,
      registers,
    }),
    dbCommands: new Counter({
      name: 'aperture_db_commands_total',
      help: 'Commands sent to the database, by command name and collection.',
      labelNames: ['command', 'collection'] as const,
      registers,
    }),
    addCollectedGauge({ name, help, labelNames = [], timeoutMs = 2_000, collect }) {
      const gauge: Gauge<string> = new Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers,
        async collect() {
          gauge.reset();
          const values: Array<[Partial<Record<string, string | number>>, number]> = [];
          const gathered = collect((labels, value) => values.push([labels, value])).then(() => true);
          const ok = await withTimeout(gathered, timeoutMs);
          // Only a complete collection is shown: half a set of partitions would understate the lag.
          if (ok) for (const [labels, value] of values) gauge.set(labels, value);
        },
      });
    },
  };
}

/** True when `work` resolves within `ms`; false when it rejects or takes longer. */
async function withTimeout(work: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
