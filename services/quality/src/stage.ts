import { qualityV1 } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { fingerprintRecordModel } from './duplicates';
import { duplicateScope, type QualityContext } from './duplicate-scope';
import { qualityHandler } from './quality.consumer';
import { qualityGrpc } from './quality.grpc';

export const qualityStage: StageOptions<Pick<QualityContext, 'duplicateScope'>> = {
  service: 'quality',
  build: (ctx) => ({ duplicateScope: (image) => duplicateScope(ctx, image) }),
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
  consumes: qualityHandler,
};
