import { runStage } from '@aperture/stage-runtime';
import { annotationRouterStage } from './stage';

void runStage(annotationRouterStage);
