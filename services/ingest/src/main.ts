// Tracing first, before NestJS, kafkajs or grpc-js is loaded (services/README.md).
import { startTelemetry } from '@aperture/telemetry';

startTelemetry('ingest');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('./bootstrap') as typeof import('./bootstrap');
void main();
