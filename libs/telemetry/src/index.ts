export { shutdownTelemetry, startTelemetry } from './telemetry';
export { createLogger } from './logger';
export type { Logger } from 'pino';
