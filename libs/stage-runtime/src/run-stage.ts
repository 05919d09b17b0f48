import type { AddressInfo } from 'node:net';
import { createBlobStore, type BlobStore } from '@aperture/blob-store';
import { type Env, infraSchema, int, loadConfig, serviceIdentitySchema, str } from '@aperture/config';
import { deadLetterTopic, type ServiceName, type TopicName } from '@aperture/contracts';
import {
  AtLeastOnceConsumer,
  type ConsumedMessage,
  type HandlerOutcome,
  type LogSink,
  sendToDeadLetter,
} from '@aperture/messaging';
import { ProjectPolicies } from '@aperture/persistence';
import {
  ApiExceptionFilter,
  apiValidationPipe,
  connectPipeline,
  authenticatedService,
  type BodyLimitRoute,
  evaluateReadiness,
  hardenHttp,
  HealthModule,
  httpLimitsSchema,
  instrumentBlobStore,
  keepProcessAlive,
  onShutdown,
  type PipelineIo,
  startGrpcServer,
  trackConsumerLag,
} from '@aperture/runtime';
import { createLogger, type Logger, shutdownTelemetry } from '@aperture/telemetry';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { type DynamicModule, type INestApplication, Module } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { Connection } from 'mongoose';
import { type CallerKind, type ExtraCredential, grpcAuthenticator } from './caller';
import { CallerGuard } from './http-auth';
import { NestPinoLogger } from './nest-logger';
import { handleWith, type StageHandler } from './stage-handler';

/** What a stage's handlers and gRPC methods work with. */
export interface StageContext {
  service: ServiceName;
  pipeline: PipelineIo;
  policies: ProjectPolicies;
  blobs: BlobStore;
  log: Logger;
  /** APERTURE_SERVICE_TOKEN: the shared secret by which internal callers prove who they are. */
  serviceToken: string;
}

/**
 * A service built on stage-runtime. `S` is the service's own objects (stores, queues, models),
 * built once by `build` from the shared context; every part below gets the context with them.
 */
export interface StageOptions<S extends object = object> {
  service: ServiceName;
  /** Default HTTP port (health); env HTTP_PORT overrides. */
  httpPort: number;
  /**
   * Builds the service's own objects, once, before anything else starts (from the shared context
   * and the environment, for a service's own settings).
   */
  build?: (ctx: StageContext, env: Env) => S;
  /** Releases what `build` made (clients), once HTTP, gRPC and the consumer have stopped. */
  dispose?: (ctx: StageContext & S) => void | Promise<void>;
  grpc: {
    /** Default gRPC port; env GRPC_PORT overrides. */
    port: number;
    /** Fully qualified service name, reported by grpc.health.v1. */
    name: string;
    definition: ServiceDefinition;
    /** The methods; `app` is the service's Nest app, for a service whose gRPC uses its providers (ingest). */
    implementation: (ctx: StageContext & S, app: INestApplication) => UntypedServiceImplementation;
    /**
     * Who may call each method (every method of the definition must be listed): the caller is
     * authenticated before its handler runs (`callerOf(call)`); no credential is UNAUTHENTICATED.
     */
    access: Record<string, readonly CallerKind[]>;
  };
  /**
   * The stage's own credential, tried before the shared ones (gRPC and REST): campaigns' collector
   * token, ingest's API key with its per-tenant rate limit.
   */
  credential?: (ctx: StageContext & S, app: INestApplication) => ExtraCredential;
  /**
   * The stage's own HTTP routes (controllers), served beside health and readiness; a route's
   * callers are declared with `@Callers(...)` and read with `@Tenant()` / `@CallerOf()`.
   */
  http?: (ctx: StageContext & S) => DynamicModule;
  /**
   * The service's own HTTP set-up beyond the shared one (hardening, error filter, caller guard,
   * validation pipe), before it listens: routes with their own body limit, secrets its error
   * answers must never show, and `configure` (ingest: its
   * OpenAPI document and web console).
   */
  httpSetup?: {
    bodyLimitRoutes?: (ctx: StageContext & S) => readonly BodyLimitRoute[];
    secrets?: (ctx: StageContext & S) => string[];
    configure?: (app: INestApplication, ctx: StageContext & S) => void;
  };
  /**
   * The stage's own resources and background work (workers, timers), started after HTTP and gRPC
   * and before the consumer; the function it returns stops them (before the connections close).
   */
  start?: (ctx: StageContext & S) => Promise<() => Promise<void>>;
  /** Keep each request's raw body (`request.rawBody`), e.g. to check a webhook's signature. */
  rawBody?: boolean;
  /** Registers the stage's own models, so their indexes are synced before consuming. */
  registerModels?: (connection: Connection) => void;
  /**
   * What the service consumes, the topic `pipeline` (@aperture/contracts) gives it: a pipeline
   * stage's handler (stage-handler.ts), or, for a reader that writes no stage result (campaigns),
   * its own handler of the topic's messages, which throws only for transient failures.
   */
  consumes?:
    | StageHandler<TopicName, StageContext & S>
    | { topic: TopicName; handle(message: ConsumedMessage, ctx: StageContext & S): Promise<HandlerOutcome> };
}

export interface RunningStage<S extends object = object> {
  ctx: StageContext & S;
  app: INestApplication;
  httpPort: number;
  grpcPort: number;
  /** Stops consumer, gRPC, HTTP, relay, Kafka and MongoDB: the reverse of start-up. */
  stop(): Promise<void>;
}

/** Test seams: another environment (database, blob dir, ports) and consumer group. */
export interface StartOverrides {
  env?: Env;
  groupId?: string;
  log?: Logger;
}

/**
 * Starts a stage: config → MongoDB and Kafka (connectPipeline) → HTTP health → gRPC → consumer.
 * If a step fails, what was already started is stopped again before the error propagates.
 */
export async function startStage<S extends object>(
  options: StageOptions<S>,
  overrides: StartOverrides = {},
): Promise<RunningStage<S>> {
  const env = overrides.env ?? process.env;
  const config = loadConfig(
    {
      ...infraSchema,
      ...httpLimitsSchema,
      ...serviceIdentitySchema,
      HTTP_PORT: int({ fallback: options.httpPort, min: 0, max: 65_535 }),
      GRPC_PORT: int({ fallback: options.grpc.port, min: 0, max: 65_535 }),
      // The consumer group; one per service, overridable so that separate pipelines can share a broker.
      KAFKA_GROUP_ID: str({
        fallback: options.service,
        pattern: /^[\w.-]{1,200}$/,
        describe: 'a consumer group id',
      }),
    },
    env,
  );
  const log = overrides.log ?? createLogger(options.service);
  const closers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const close of closers.reverse()) await close();
    closers.length = 0;
  };

  try {
    const pipeline = await connectPipeline({
      service: options.service,
      kafkaBrokers: config.KAFKA_BROKERS,
      mongoUri: config.MONGODB_URI,
      log: kafkaLogSink(log),
      ...(options.registerModels && { registerModels: options.registerModels }),
    });
    closers.push(() => pipeline.close());
    const shared: StageContext = {
      service: options.service,
      pipeline,
      policies: new ProjectPolicies(pipeline.connection),
      blobs: instrumentBlobStore(createBlobStore(env), pipeline.metrics),
      log,
      serviceToken: config.APERTURE_SERVICE_TOKEN,
    };
    const ctx = { ...shared, ...options.build?.(shared, env) } as StageContext & S;
    if (options.dispose) closers.push(async () => options.dispose?.(ctx));

    const app = await NestFactory.create(StageHttpModule.register(pipeline, options.http?.(ctx)), {
      logger: new NestPinoLogger(log),
      abortOnError: false,
    });
    closers.push(() => app.close());
    const { httpSetup } = options;
    hardenHttp(app, {
      limits: config,
      rawBody: options.rawBody ?? false,
      ...(httpSetup?.bodyLimitRoutes && { bodyLimitRoutes: httpSetup.bodyLimitRoutes(ctx) }),
    });
    const credential = options.credential?.(ctx, app);
    // Every service answers errors in the API's shape, on its own routes and on health's alike.
    app.useGlobalFilters(
      new ApiExceptionFilter(log, [ctx.serviceToken, ...(httpSetup?.secrets?.(ctx) ?? [])]),
    );
    app.useGlobalGuards(new CallerGuard(ctx, app.get(Reflector), credential));
    // Bodies declared as DTO classes are validated alike everywhere (`unknown` ones are left alone).
    app.useGlobalPipes(apiValidationPipe());
    httpSetup?.configure?.(app, ctx);
    await app.listen(config.HTTP_PORT);
    const httpPort = (app.getHttpServer() as { address(): AddressInfo }).address().port;

    const implementation = options.grpc.implementation(ctx, app);
    const unguarded = Object.keys(implementation).filter((method) => !options.grpc.access[method]);
    if (unguarded.length > 0) throw new Error(`gRPC methods without an access rule: ${unguarded.join(', ')}`);
    const grpc = await startGrpcServer({
      port: config.GRPC_PORT,
      services: [
        {
          name: options.grpc.name,
          definition: options.grpc.definition,
          implementation: authenticatedService(
            options.grpc.definition,
            implementation,
            grpcAuthenticator(ctx, options.grpc.access, credential),
          ),
        },
      ],
    });
    closers.push(() => grpc.stop());

    if (options.start) closers.push(await options.start(ctx));

    const { consumes } = options;
    if (consumes) {
      const groupId = overrides.groupId ?? config.KAFKA_GROUP_ID;
      const consumer = stageConsumer(consumes, ctx, groupId);
      closers.push(() => consumer.stop());
      await consumer.start();
    }
    log.info({ httpPort, grpcPort: grpc.port, inputTopic: consumes?.topic ?? null }, 'started');
    return { ctx, app, httpPort, grpcPort: grpc.port, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * The consumer of what a service consumes (not started): each message handled, counted and timed;
 * a poison message dead-lettered; a failure during an outage held until it ends.
 */
function stageConsumer<S extends object>(
  consumes: NonNullable<StageOptions<S>['consumes']>,
  ctx: StageContext & S,
  groupId: string,
): AtLeastOnceConsumer {
  const { pipeline, log } = ctx;
  const inputTopic = consumes.topic;
  const handle = 'process' in consumes ? handleWith(consumes) : consumes.handle.bind(consumes);
  const { stageMessages, stageDuration } = pipeline.metrics;
  const deadLetter = sendToDeadLetter(pipeline.producer, deadLetterTopic(ctx.service));
  const consumer = new AtLeastOnceConsumer(pipeline.kafka, {
    groupId,
    topics: [inputTopic],
    handler: async (message) => {
      const timer = stageDuration.startTimer();
      try {
        const outcome = await handle(message, ctx);
        timer({ outcome });
        stageMessages.inc({ topic: message.topic, outcome });
        log.info({ imageId: message.key, outcome, offset: message.offset }, 'handled');
        return outcome;
      } catch (error) {
        timer({ outcome: 'failed' });
        stageMessages.inc({ topic: message.topic, outcome: 'failed' });
        log.warn({ imageId: message.key, err: error }, 'handling failed; will retry');
        throw error;
      }
    },
    onPoison: async (message, error) => {
      await deadLetter(message, error);
      stageMessages.inc({ topic: message.topic, outcome: 'dead_lettered' });
    },
    // A failure while the database or the broker is down waits for them instead of counting
    // towards the dead-letter topic.
    dependenciesUp: async () => Object.values(await evaluateReadiness(pipeline.readiness)).every(Boolean),
    onOutage: (event, message) =>
      log.warn({ imageId: message.key, event }, 'dependency outage: holding the message until it ends'),
  });
  trackConsumerLag(pipeline.metrics, pipeline.admin, groupId, [inputTopic]);
  return consumer;
}

/** The process entry point: starts the stage, stops it on SIGTERM/SIGINT, exits 1 if start-up fails. */
export async function runStage<S extends object>(options: StageOptions<S>): Promise<void> {
  const log = createLogger(options.service);
  keepProcessAlive((message, error) => log.error({ err: error }, message));
  const starting = startStage(options);
  // Listening before start-up ends (HTTP answers while consumers still join their groups), so a
  // SIGTERM then waits for the start to finish and stops cleanly instead of killing the process.
  onShutdown(
    async () => {
      const stage = await starting.catch(() => undefined);
      await stage?.stop();
      log.info('stopped');
      await shutdownTelemetry();
    },
    (message, error) => log.info({ err: error }, message),
  );
  try {
    await starting;
  } catch (error) {
    log.fatal({ err: error }, 'start-up failed');
    await shutdownTelemetry().catch(() => undefined);
    process.exit(1);
  }
}

@Module({})
class StageHttpModule {
  static register(
    pipeline: Pick<PipelineIo, 'readiness' | 'metrics'>,
    routes?: DynamicModule,
  ): DynamicModule {
    return {
      module: StageHttpModule,
      imports: [HealthModule.register(pipeline.readiness, pipeline.metrics), ...(routes ? [routes] : [])],
    };
  }
}

function kafkaLogSink(log: Logger): LogSink {
  return (level, message, fields) => log[level](fields, message);
}
