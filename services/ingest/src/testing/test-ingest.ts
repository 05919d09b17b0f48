import { createLogger } from '@aperture/telemetry';
import { testInfraEnv, uniqueName, serviceTestEnv } from '@aperture/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '@aperture/config';
import type { BlobStore } from '@aperture/blob-store';
import type { PipelineIo } from '@aperture/runtime';
import { startStage } from '@aperture/stage-runtime';
import type { Logger } from '@aperture/telemetry';
import type { INestApplication } from '@nestjs/common';
import { ingestStage } from '../stage';

/** Ingest started in-process, as `runStage` starts it in its process. */
export interface RunningIngest {
  app: INestApplication;
  pipeline: PipelineIo;
  blobs: BlobStore;
  httpPort: number;
  grpcPort: number;
  /** Stops gRPC, HTTP, the clients, the relay, Kafka and MongoDB: the reverse of start-up. */
  stop(): Promise<void>;
}

/** Starts ingest through the shared skeleton with `env` (a test's database, blob directory, ports). */
export async function startIngest(env: Env, log: Logger): Promise<RunningIngest> {
  const stage = await startStage(ingestStage, { env, log });
  return {
    app: stage.app,
    pipeline: stage.ctx.pipeline,
    blobs: stage.ctx.blobs,
    httpPort: stage.httpPort,
    grpcPort: stage.grpcPort,
    stop: () => stage.stop(),
  };
}

export interface TestIngest {
  running: RunningIngest;
  /** The service's base URL. */
  url: string;
  blobDir: string;
  dbName: string;
  /** Drops the database, stops the service and removes the blob directory. */
  stop(): Promise<void>;
}

/**
 * ingest in-process for an integration test: the real broker and database (a database of its
 * own, `prefix` + a unique suffix), blobs in a fresh temporary directory, random ports, quiet logs.
 */
export async function startTestIngest(prefix: string, env: Record<string, string> = {}): Promise<TestIngest> {
  const infra = testInfraEnv();
  const dbName = uniqueName(prefix).replace(/-/g, '_');
  const mongoUri = new URL(infra.mongoUri);
  mongoUri.pathname = `/${dbName}`;
  const blobDir = await mkdtemp(join(tmpdir(), `${prefix}-blobs-`));
  const running = await startIngest(
    // A consumer group of its own: its batch tallies read the status topic for this database alone.
    serviceTestEnv({ ...infra, mongoUri: mongoUri.toString() }, blobDir, { KAFKA_GROUP_ID: dbName, ...env }),
    createLogger('ingest', { level: 'fatal' }),
  );
  return {
    running,
    url: `http://127.0.0.1:${running.httpPort}`,
    blobDir,
    dbName,
    stop: async () => {
      await running.pipeline.connection.dropDatabase();
      await running.stop();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}
