import type { ServiceMetrics } from '@aperture/telemetry';
import {
  Controller,
  Get,
  Header,
  HttpCode,
  type DynamicModule,
  Inject,
  Module,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Registry } from 'prom-client';

/** A named dependency check for readiness: true when the dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<boolean>>;

const READINESS_CHECKS = Symbol('READINESS_CHECKS');
const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Runs every check with a time limit; a check that throws or times out counts as not ready. */
export async function evaluateReadiness(
  checks: ReadinessChecks,
  timeoutMs = 2000,
): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const ok = await Promise.race([
          check(),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), timeoutMs);
          }),
        ]);
        return [name, ok] as const;
      } catch {
        return [name, false] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

@Controller()
class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessChecks,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  /** Liveness: the process serves HTTP. */
  @Get('healthz')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every dependency (broker, database) answers; 503 naming the ones that do not. */
  @Get('readyz')
  async ready(): Promise<{ status: 'ready'; checks: Record<string, boolean> }> {
    const checks = await evaluateReadiness(this.checks);
    if (Object.values(checks).every(Boolean)) return { status: 'ready', checks };
    throw new ServiceUnavailableException({
      error: { code: 'not_ready', message: 'dependencies unavailable', checks },
    });
  }

  /** Prometheus metrics in the text exposition format (names: libs/telemetry/src/metrics.ts). */
  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  async metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

/** GET /healthz, GET /readyz and GET /metrics for a service. */
@Module({})
export class HealthModule {
  static register(checks: ReadinessChecks, metrics: Pick<ServiceMetrics, 'registry'>): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        { provide: READINESS_CHECKS, useValue: checks },
        { provide: METRICS_REGISTRY, useValue: metrics.registry },
      ],
    };
  }
}
