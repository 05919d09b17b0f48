// Tracing first, before NestJS, kafkajs or grpc-js is loaded; then the service itself.
import { startTelemetry } from '@aperture/telemetry';

startTelemetry('ingest');
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./bootstrap');
