import { runStage } from '@aperture/stage-runtime';
import { standardizeStage } from './stage';

void runStage(standardizeStage);
