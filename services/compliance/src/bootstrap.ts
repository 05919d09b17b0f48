import { runStage } from '@aperture/stage-runtime';
import { complianceStage } from './stage';

void runStage(complianceStage);
