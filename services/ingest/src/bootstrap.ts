import { type BlobStore, createBlobStore } from '@aperture/blob-store';
import type { Env } from '@aperture/config';
import { ingestV1, Topics } from '@aperture/contracts';
import type { LogSink } from '@aperture/messaging';
import {
  connectPipeline,
  evaluateReadiness,
  hardenHttp,
  instrumentBlobStore,
  keepProcessAlive,
  onShutdown,
  type PipelineIo,
  startGrpcServer,
  trackConsumerLag,
} from '@aperture/runtime';
import { createLogger, type Logger, shutdownTelemetry } from '@aperture/telemetry';
import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { BatchTallies, batchTallyConsumer } from './batches/batch-tallies';
import { grpcCampaignGate } from './clients/campaigns.client';
import { grpcQualityAssessor } from './clients/quality.client';
import { MAX_FIELD_BYTES, MAX_FIELDS_PER_REQUEST, MAX_FILES_PER_REQUEST } from './images/multipart';
import { consoleDirectory, serveConsole } from './console/static';
import { DEFAULT_ADMIN_TOKEN, type IngestConfig, loadIngestConfig } from './config';
import { validationDetails } from './domain/validation';
import { ApiError } from './errors';
import { ApiExceptionFilter } from './http/error.filter';
import { NestPinoLogger } from './http/nest-logger';
import { serveOpenApi } from './http/openapi';
import { INGEST_GRPC_SERVICE_NAME, IngestGrpcService } from './ingest.grpc';
import { registerIngestModels } from './models';

export interface RunningIngest {
  config: IngestConfig;
  app: INestApplication;
  pipeline: PipelineIo;
  blobs: BlobStore;
  httpPort: number;
  grpcPort: number;
  /** Stops in reverse start-up order: tally consumer, relay, gRPC, HTTP, Kafka, MongoDB. */
  stop(): Promise<void>;
}

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

/** kafkajs and the relay log through the service's pino logger. */
export function logSink(log: Logger): LogSink {
  return (level, message, fields) => log[level](fields, message);
}

/** Builds the Nest app on already-connected dependencies (not listening yet). */
export async function createIngestApp(
  deps: Parameters<typeof AppModule.register>[0],
  pipeline: Pick<PipelineIo, 'readiness' | 'metrics'>,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(deps, pipeline.readiness, pipeline.metrics),
    { logger: new NestPinoLogger(deps.log), abortOnError: false },
  );
  hardenHttp(app, {
    limits: deps.config,
    bodyLimitRoutes: [
      { method: 'POST', path: UPLOAD_ROUTE, maxBytes: uploadRequestLimit(deps.config.MAX_UPLOAD_BYTES) },
    ],
  });
  app.useGlobalFilters(
    new ApiExceptionFilter(deps.log, [deps.config.ADMIN_TOKEN, deps.config.APERTURE_SERVICE_TOKEN]),
  );
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => ApiError.invalid('invalid request body', validationDetails(errors)),
    }),
  );
  serveOpenApi(app);
  const consoleDir = consoleDirectory(deps.config.CONSOLE_DIR);
  if (consoleDir) serveConsole(app, consoleDir);
  else deps.log.info('the web console is not built (npx nx run console-web:build): /console/ is not served');
  return app;
}

/**
 * Starts ingest (services/README.md order): config, MongoDB and its indexes, Kafka topics, producer
 * and outbox relay, then HTTP, then gRPC, then its one consumer: the batch tallies of the status topic.
 */
export async function startIngest(
  env: Env = process.env,
  log: Logger = createLogger('ingest'),
): Promise<RunningIngest> {
  const config = loadIngestConfig(env);
  if (config.ADMIN_TOKEN === DEFAULT_ADMIN_TOKEN) {
    log.warn(
      'ADMIN_TOKEN is not set: the default admin token is in use; set ADMIN_TOKEN outside local development',
    );
  }
  const pipeline = await connectPipeline({
    service: 'ingest',
    kafkaBrokers: config.KAFKA_BROKERS,
    mongoUri: config.MONGODB_URI,
    log: logSink(log),
    registerModels: registerIngestModels,
  });
  let app: INestApplication | undefined;
  // gRPC channels connect lazily: neither service has to be up for ingest to start.
  const campaigns = grpcCampaignGate(config.CAMPAIGNS_GRPC_ADDRESS, config.APERTURE_SERVICE_TOKEN);
  const quality = grpcQualityAssessor(config.QUALITY_GRPC_ADDRESS, config.APERTURE_SERVICE_TOKEN);
  try {
    // The same environment as every stage reads (BLOB_STORE=s3 included), so they find its blobs.
    const blobs = instrumentBlobStore(createBlobStore(env), pipeline.metrics);
    const tallies = new BatchTallies(pipeline.connection);
    const deps = {
      config,
      connection: pipeline.connection,
      records: pipeline.records,
      tallies,
      blobs,
      log,
      campaigns,
      quality,
    };
    app = await createIngestApp(deps, pipeline);
    await app.listen(config.HTTP_PORT);
    const httpPort = (app.getHttpServer() as { address(): AddressInfo }).address().port;
    const grpcServer = await startGrpcServer({
      port: config.GRPC_PORT,
      services: [
        {
          name: INGEST_GRPC_SERVICE_NAME,
          definition: ingestV1.IngestServiceService,
          implementation: app.get(IngestGrpcService).implementation(),
        },
      ],
    });
    const tallyConsumer = batchTallyConsumer(pipeline.kafka, tallies, {
      groupId: config.KAFKA_GROUP_ID,
      dependenciesUp: async () => Object.values(await evaluateReadiness(pipeline.readiness)).every(Boolean),
    });
    trackConsumerLag(pipeline.metrics, pipeline.admin, config.KAFKA_GROUP_ID, [Topics.imageStatus]);
    try {
      await tallyConsumer.start();
    } catch (error) {
      await grpcServer.stop();
      throw error;
    }
    log.info(
      { httpPort, grpcPort: grpcServer.port, maxUploadBytes: config.MAX_UPLOAD_BYTES },
      'ingest started',
    );
    const started = app;
    return {
      config,
      app: started,
      pipeline,
      blobs,
      httpPort,
      grpcPort: grpcServer.port,
      stop: async () => {
        await tallyConsumer.stop();
        await pipeline.relay.stop();
        await grpcServer.stop();
        await started.close();
        campaigns.close();
        quality.close();
        await pipeline.close();
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    campaigns.close();
    quality.close();
    await pipeline.close().catch(() => undefined);
    throw error;
  }
}

/** The process: start, then stop cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  const log = createLogger('ingest');
  keepProcessAlive((message, error) => log.error({ err: error }, message));
  try {
    const running = await startIngest(process.env, log);
    onShutdown(
      async () => {
        await running.stop();
        await shutdownTelemetry();
        log.info('ingest stopped');
      },
      (message, error) => (error ? log.error({ err: error }, message) : log.info(message)),
    );
  } catch (error) {
    log.fatal({ err: error }, 'ingest failed to start');
    await shutdownTelemetry().catch(() => undefined);
    process.exit(1);
  }
}
