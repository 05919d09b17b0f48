import { annotationV1, Topics } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { handleCleared } from './annotation.consumer';
import { annotationGrpc } from './annotation.grpc';
import { AnnotationHttpModule } from './http';
import { annotationModels } from './tasks.model';

export const annotationRouterStage: StageOptions = {
  service: 'annotation-router',
  inputTopic: Topics.imageCleared,
  httpPort: 8084,
  grpc: {
    port: 50055,
    name: 'aperture.annotation.v1.AnnotationService',
    definition: annotationV1.AnnotationServiceService,
    implementation: (ctx) => annotationGrpc(ctx),
    // An annotator's own token may lease, fetch and submit tasks, nothing else.
    access: {
      leaseTask: ['service', 'tenant', 'annotator'],
      submitResult: ['service', 'tenant', 'annotator'],
      getTaskImage: ['service', 'tenant', 'annotator'],
      getAnnotatorScores: ['service', 'tenant'],
    },
  },
  http: (ctx) => AnnotationHttpModule.register(ctx),
  registerModels: (connection) => void annotationModels(connection),
  handle: handleCleared,
};
