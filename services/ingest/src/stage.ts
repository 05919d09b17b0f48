import type { Env } from '@aperture/config';
import { ingestV1, Topics } from '@aperture/contracts';
import { evaluateReadiness, trackConsumerLag } from '@aperture/runtime';
import type { StageContext, StageOptions } from '@aperture/stage-runtime';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { BatchTallies, batchTallyConsumer } from './batches/batch-tallies';
import { grpcCampaignGate } from './clients/campaigns.client';
import { grpcQualityAssessor } from './clients/quality.client';
import { DEFAULT_ADMIN_TOKEN, loadIngestConfig } from './config';
import { consoleDirectory, serveConsole } from './console/static';
import { serveOpenApi } from './http/openapi';
import { MAX_FIELD_BYTES, MAX_FIELDS_PER_REQUEST, MAX_FILES_PER_REQUEST } from './images/multipart';
import { INGEST_GRPC_SERVICE_NAME, IngestGrpcService } from './ingest.grpc';
import { registerIngestModels } from './models';
import { TenantsService } from './tenants/tenants.service';
import type { IngestDeps } from './tokens';

/** The multipart upload route, whose body limit is not the JSON one. */
const UPLOAD_ROUTE = /^\/v1\/batches\/[^/]+\/images\/?$/;

/**
 * The largest body an upload request can need: its most files, each at the largest size, its
 * most text fields, and the multipart framing of every part. A Content-Length beyond cannot be
 * accepted and is 413 before anything is read.
 */
export function uploadRequestLimit(maxUploadBytes: number): number {
  const framing = 1024;
  return (
    MAX_FILES_PER_REQUEST * (maxUploadBytes + framing) + MAX_FIELDS_PER_REQUEST * (MAX_FIELD_BYTES + framing)
  );
}

/** What ingest's controllers and gRPC are given (ingest's own settings, the clients of quality and campaigns). */
function buildDeps(ctx: StageContext, env: Env): IngestDeps {
  const config = loadIngestConfig(env);
  if (config.ADMIN_TOKEN === DEFAULT_ADMIN_TOKEN)
    ctx.log.warn(
      'ADMIN_TOKEN is not set: the default admin token is in use; set ADMIN_TOKEN outside local development',
    );
  return {
    config,
    connection: ctx.pipeline.connection,
    records: ctx.pipeline.records,
    tallies: new BatchTallies(ctx.pipeline.connection),
    blobs: ctx.blobs,
    log: ctx.log,
    // gRPC channels connect lazily: neither service has to be up for ingest to start.
    campaigns: grpcCampaignGate(config.CAMPAIGNS_GRPC_ADDRESS, config.APERTURE_SERVICE_TOKEN),
    quality: grpcQualityAssessor(config.QUALITY_GRPC_ADDRESS, config.APERTURE_SERVICE_TOKEN),
  };
}

/**
 * Ingest, the front door, as a service of the shared skeleton (stage-runtime's startStage): its
 * REST API (NestJS modules per resource, app.module.ts) with the web console and OpenAPI, and
 * IngestService over gRPC, both on the tenant's API key (rate-limited per tenant). Each upload's
 * record and its `image.ingested` event are written together; it consumes the status topic only,
 * to tally batch counts.
 */
export const ingestStage: StageOptions<{ deps: IngestDeps }> = {
  service: 'ingest',
  httpPort: 8080,
  build: (ctx, env) => ({ deps: buildDeps(ctx, env) }),
  dispose: ({ deps }) => {
    deps.campaigns.close();
    deps.quality.close();
  },
  registerModels: registerIngestModels,
  // Ingest's one consumer: the batch tallies of the status topic (batches/batch-tallies.ts), kept
  // beside the stage consumer the skeleton runs because a tally is idempotent by its partition's
  // offset and must learn of each group join.
  start: async ({ deps, pipeline }) => {
    const groupId = deps.config.KAFKA_GROUP_ID;
    const consumer = batchTallyConsumer(pipeline.kafka, deps.tallies, {
      groupId,
      dependenciesUp: async () => Object.values(await evaluateReadiness(pipeline.readiness)).every(Boolean),
    });
    trackConsumerLag(pipeline.metrics, pipeline.admin, groupId, [Topics.imageStatus]);
    await consumer.start();
    return () => consumer.stop();
  },
  http: ({ deps }) => AppModule.register(deps),
  httpSetup: {
    bodyLimitRoutes: ({ deps }) => [
      { method: 'POST', path: UPLOAD_ROUTE, maxBytes: uploadRequestLimit(deps.config.MAX_UPLOAD_BYTES) },
    ],
    secrets: ({ deps }) => [deps.config.ADMIN_TOKEN],
    configure: (app, { deps }) => {
      serveOpenApi(app);
      const consoleDir = consoleDirectory(deps.config.CONSOLE_DIR);
      if (consoleDir) serveConsole(app as NestExpressApplication, consoleDir);
      else
        deps.log.info('the web console is not built (npx nx run console-web:build): /console/ is not served');
    },
  },
  grpc: {
    port: 50051,
    name: INGEST_GRPC_SERVICE_NAME,
    definition: ingestV1.IngestServiceService,
    implementation: (_ctx, app) => app.get(IngestGrpcService).implementation(),
    access: {
      createBatch: ['tenant'],
      closeBatch: ['tenant'],
      getBatch: ['tenant'],
      getImage: ['tenant'],
      uploadImage: ['tenant'],
    },
  },
  // The tenant's API key, within its request budget (the same check as the REST routes').
  credential: (_ctx, app) => {
    const tenants = app.get(TenantsService);
    return async (header) => {
      const apiKey = header('x-api-key');
      if (apiKey === undefined) return undefined;
      return { kind: 'tenant', tenantId: (await tenants.authenticate(apiKey)).tenantId };
    };
  },
};
