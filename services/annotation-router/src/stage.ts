import { annotationV1 } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { annotationHandler } from './annotation.consumer';
import { annotationGrpc } from './annotation.grpc';
import { AnnotationHttpModule } from './http';
import { TaskQueue } from './queue';
import { annotationModels } from './tasks.model';

export const annotationRouterStage: StageOptions<{ queue: TaskQueue }> = {
  service: 'annotation-router',
  // The one task queue of the process: the consumer, gRPC and REST share it.
  build: (ctx) => ({ queue: new TaskQueue(ctx) }),
  httpPort: 8084,
  grpc: {
    port: 50055,
    name: 'aperture.annotation.v1.AnnotationService',
    definition: annotationV1.AnnotationServiceService,
    implementation: annotationGrpc,
    // An annotator's own token may lease, fetch and submit tasks, nothing else.
    access: {
      leaseTask: ['service', 'tenant', 'annotator'],
      submitResult: ['service', 'tenant', 'annotator'],
      getTaskImage: ['service', 'tenant', 'annotator'],
      getAnnotatorScores: ['service', 'tenant'],
      getCoverage: ['service', 'tenant'],
    },
  },
  http: (ctx) => AnnotationHttpModule.register(ctx),
  registerModels: (connection) => void annotationModels(connection),
  consumes: annotationHandler,
};
