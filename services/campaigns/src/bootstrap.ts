import { runStage } from '@aperture/stage-runtime';
import { campaignsStage } from './stage';

void runStage(campaignsStage());
