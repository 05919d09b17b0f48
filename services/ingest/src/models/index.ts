import { projectRecordModel } from '@aperture/persistence';
import type { Connection } from 'mongoose';
import { apiKeyModel } from './api-key.schema';
import { batchModel } from './batch.schema';
import { tenantModel } from './tenant.schema';

export { apiKeyModel, type ApiKeyRecord } from './api-key.schema';
export { batchModel, idempotencyScope, type BatchRecord } from './batch.schema';
export { tenantModel, type TenantRecord } from './tenant.schema';

/** Compiles ingest's models on the connection, so start-up's index migration covers them. */
export function registerIngestModels(connection: Connection): void {
  tenantModel(connection);
  apiKeyModel(connection);
  batchModel(connection);
  projectRecordModel(connection);
}
