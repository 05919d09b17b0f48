import { runStage } from '@aperture/stage-runtime';
import { qualityStage } from './stage';

void runStage(qualityStage);
