import { complianceV1, Topics } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { handleStandardized } from './compliance.consumer';
import { complianceGrpc } from './compliance.grpc';
import { registerComplianceModels } from './compliance.models';

export const complianceStage: StageOptions = {
  service: 'compliance',
  inputTopic: Topics.imageStandardized,
  httpPort: 8083,
  grpc: {
    port: 50054,
    name: 'aperture.compliance.v1.ComplianceService',
    definition: complianceV1.ComplianceServiceService,
    implementation: complianceGrpc,
  },
  registerModels: registerComplianceModels,
  handle: handleStandardized,
};
