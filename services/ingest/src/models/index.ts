import { projectRecordModel } from '@aperture/persistence';
import type { Connection } from 'mongoose';
import { batchTallyModel } from './batch-tally.schema';
import { annotatorModel } from './annotator.schema';
import { apiKeyModel } from './api-key.schema';
import { batchModel } from './batch.schema';
import { consoleSessionModel } from './console-session.schema';
import { tenantModel } from './tenant.schema';

export { annotatorModel, type AnnotatorRecord } from './annotator.schema';
export { apiKeyModel, type ApiKeyRecord } from './api-key.schema';
export { consoleSessionModel, type ConsoleSessionRecord } from './console-session.schema';
export { batchModel, idempotencyScope, type BatchRecord } from './batch.schema';
export { batchTallyModel, type BatchTallyRecord } from './batch-tally.schema';
export { tenantModel, type TenantRecord } from './tenant.schema';

/** Compiles ingest's models on the connection, so start-up's index migration covers them. */
export function registerIngestModels(connection: Connection): void {
  tenantModel(connection);
  apiKeyModel(connection);
  annotatorModel(connection);
  consoleSessionModel(connection);
  batchModel(connection);
  batchTallyModel(connection);
  projectRecordModel(connection);
}
