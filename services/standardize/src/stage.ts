import { standardizeV1, Topics } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { handleQualified } from './standardize.consumer';
import { standardizeGrpc } from './standardize.grpc';

export const standardizeStage: StageOptions = {
  service: 'standardize',
  inputTopic: Topics.imageQualified,
  httpPort: 8082,
  grpc: {
    port: 50053,
    name: 'aperture.standardize.v1.StandardizeService',
    definition: standardizeV1.StandardizeServiceService,
    implementation: standardizeGrpc,
    // Preview stores nothing and reads no tenant data, but is still no open service.
    access: { preview: ['service', 'tenant'] },
  },
  handle: handleQualified,
};
