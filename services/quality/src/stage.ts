import { qualityV1, Topics } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { fingerprintRecordModel } from './duplicates';
import { handleIngested } from './quality.consumer';
import { qualityGrpc } from './quality.grpc';

export const qualityStage: StageOptions = {
  service: 'quality',
  inputTopic: Topics.imageIngested,
  httpPort: 8081,
  grpc: {
    port: 50052,
    name: 'aperture.quality.v1.QualityService',
    definition: qualityV1.QualityServiceService,
    implementation: qualityGrpc,
    // ingest's synchronous verdict (service identity, naming the tenant), or a tenant's own app.
    access: { assess: ['service', 'tenant'] },
  },
  // The duplicate index's collection: its indexes are synced before the stage consumes.
  registerModels: (connection) => void fingerprintRecordModel(connection),
  handle: handleIngested,
};
