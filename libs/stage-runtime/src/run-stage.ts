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
  connectPipeline,
  authenticatedService,
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
import { type DynamicModule, type LoggerService, Module } from '@nestjs/common';
import { NestFactory, Reflector } from '@nestjs/core';
import type { Connection } from 'mongoose';
import { type CallerKind, type ExtraCredential, grpcAuthenticator } from './caller';
import { CallerGuard } from './http-auth';
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
  /** Builds the service's own objects, once, before anything else starts. */
  build?: (ctx: StageContext) => S;
  grpc: {
    /** Default gRPC port; env GRPC_PORT overrides. */
    port: number;
    /** Fully qualified service name, reported by grpc.health.v1. */
    name: string;
    definition: ServiceDefinition;
    implementation: (ctx: StageContext & S) => UntypedServiceImplementation;
    /**
     * Who may call each method (every method of the definition must be listed): the caller is
     * authenticated before its handler runs (`callerOf(call)`); no credential is UNAUTHENTICATED.
     */
    access: Record<string, readonly CallerKind[]>;
  };
  /** The stage's own credential (campaigns: a collector's token), besides the shared ones (gRPC and REST). */
  credential?: (ctx: StageContext & S) => ExtraCredential;
  /**
   * The stage's own HTTP routes (controllers), served beside health and readiness; a route's
   * callers are declared with `@Callers(...)` and read with `@Tenant()` / `@CallerOf()`.
   */
  http?: (ctx: StageContext & S) => DynamicModule;
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
  consumes:
    | StageHandler<TopicName, StageContext & S>
    | { topic: TopicName; handle(message: ConsumedMessage, ctx: StageContext & S): Promise<HandlerOutcome> };
}

export interface RunningStage<S extends object = object> {
  ctx: StageContext & S;
  httpPort: number;
  grpcPort: number;
  /** Stops consumer, gRPC, HTTP, relay, Kafka and MongoDB: the reverse of start-up. */
  stop(): Promise<void>;
}

/** Test seams: another environment (database, blob dir, ports) and consumer group. */
export interface StartOverrides {
  env?: Env;
  groupId?: string;
}

/**
 * Starts a stage: config → MongoDB and Kafka (connectPipeline) → HTTP health → gRPC → consumer.
 * If a step fails, what was already started is stopped again before the error propagates.
 */
export async function startStage<S extends object>(
  options: StageOptions<S>,
  overrides: StartOverrides = {},
): Promise<RunningStage<S>> {
  const { consumes } = options;
  const inputTopic = consumes.topic;
  const handle = 'process' in consumes ? handleWith(consumes) : consumes.handle.bind(consumes);
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
  const log = createLogger(options.service);
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
    const ctx = { ...shared, ...options.build?.(shared) } as StageContext & S;

    const app = await NestFactory.create(StageHttpModule.register(pipeline, options.http?.(ctx)), {
      logger: new NestLogger(log),
      abortOnError: false,
    });
    closers.push(() => app.close());
    hardenHttp(app, { limits: config, rawBody: options.rawBody ?? false });
    const credential = options.credential?.(ctx);
    // Every service answers errors in the API's shape, on its own routes and on health's alike.
    app.useGlobalFilters(new ApiExceptionFilter(log, [ctx.serviceToken]));
    app.useGlobalGuards(new CallerGuard(ctx, app.get(Reflector), credential));
    await app.listen(config.HTTP_PORT);
    const httpPort = (app.getHttpServer() as { address(): AddressInfo }).address().port;

    const implementation = options.grpc.implementation(ctx);
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

    const groupId = overrides.groupId ?? config.KAFKA_GROUP_ID;
    const { stageMessages, stageDuration } = pipeline.metrics;
    const deadLetter = sendToDeadLetter(pipeline.producer, deadLetterTopic(options.service));
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
    closers.push(() => consumer.stop());
    await consumer.start();
    log.info({ httpPort, grpcPort: grpc.port, inputTopic }, 'started');
    return { ctx, httpPort, grpcPort: grpc.port, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** The process entry point: starts the stage, stops it on SIGTERM/SIGINT, exits 1 if start-up fails. */
export async function runStage<S extends object>(options: StageOptions<S>): Promise<void> {
  const log = createLogger(options.service);
  keepProcessAlive((message, error) => log.error({ err: error }, message));
  try {
    const stage = await startStage(options);
    onShutdown(
      async () => {
        await stage.stop();
        log.info('stopped');
        await shutdownTelemetry();
      },
      (message, error) => log.info({ err: error }, message),
    );
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

/** Nest's own log lines, through the service's pino logger. */
class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: unknown): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.logger.error({ context: rest.at(-1), detail: rest.slice(0, -1) }, String(message));
  }
  warn(message: unknown, context?: unknown): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: unknown): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: unknown): void {
    this.logger.trace({ context }, String(message));
  }
}
