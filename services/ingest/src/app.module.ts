import { type DynamicModule, Module } from '@nestjs/common';
import { AnnotatorsController } from './annotators/annotators.controller';
import { AnnotatorsService } from './annotators/annotators.service';
import { BatchesController } from './batches/batches.controller';
import { BatchesService } from './batches/batches.service';
import { ApiKeyGuard, AdminTokenGuard } from './http/auth';
import { ConsoleApiController, ConsoleSessionController, EventStreams } from './console/console.controller';
import { ConsoleService } from './console/console.service';
import { ConsoleSessions } from './console/sessions.service';
import { ImagesController } from './images/images.controller';
import { ImagesService } from './images/images.service';
import { IngestGrpcService } from './ingest.grpc';
import { ProjectsController } from './projects/projects.controller';
import { ProjectsService } from './projects/projects.service';
import { ApiKeysController, TenantsController } from './tenants/tenants.controller';
import { TenantsService } from './tenants/tenants.service';
import { INGEST_DEPS, type IngestDeps } from './tokens';

/** Ingest's REST resources (health and readiness are the skeleton's: stage-runtime's startStage). */
@Module({})
export class AppModule {
  static register(deps: IngestDeps): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        TenantsController,
        ApiKeysController,
        AnnotatorsController,
        ProjectsController,
        BatchesController,
        ImagesController,
        ConsoleSessionController,
        ConsoleApiController,
      ],
      providers: [
        { provide: INGEST_DEPS, useValue: deps },
        TenantsService,
        AnnotatorsService,
        ConsoleSessions,
        ProjectsService,
        BatchesService,
        ImagesService,
        IngestGrpcService,
        ConsoleService,
        EventStreams,
        ApiKeyGuard,
        AdminTokenGuard,
      ],
    };
  }
}
