export { shutdownTelemetry, startTelemetry } from './telemetry';
export { createLogger } from './logger';
export { createServiceMetrics } from './metrics';
export type { ServiceMetrics } from './metrics';
export type { Logger } from 'pino';
