import { runStage } from '@aperture/stage-runtime';
import { ingestStage } from './stage';

void runStage(ingestStage);
