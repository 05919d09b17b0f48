import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The real servers an integration test talks to. Chosen per server, in this order:
 *   1. KAFKA_BROKERS / MONGODB_URI / S3_ENDPOINT set in the environment: used as they are;
 *   2. a container engine reachable by testcontainers: a Kafka, a MongoDB and a MinIO container;
 *   3. otherwise the project's own local servers, started (idempotently) with `scripts/infra up`
 *      (only those missing: `scripts/infra up s3proxy` when Kafka and MongoDB are given).
 * APERTURE_TEST_INFRA=local or =containers forces 2 or 3.
 */
export interface TestInfra {
  kafkaBrokers: string[];
  mongoUri: string;
  /** An S3-compatible server and a bucket on it (S3_* variables, as @aperture/config reads them). */
  s3: S3Settings;
  /** How each server was provided, for the log line that says what the tests ran against. */
  kafkaSource: InfraSource;
  mongoSource: InfraSource;
  s3Source: InfraSource;
  stop(): Promise<void>;
}

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type InfraSource = 'environment' | 'testcontainers' | 'local (scripts/infra)';

const repoRoot = path.resolve(__dirname, '../../..');

// Image tags for the container path: Confluent Platform 8.0 is Apache Kafka 4.0 in KRaft mode.
const kafkaImage = 'confluentinc/cp-kafka:8.0.0';
const mongoImage = 'mongo:8.0';
const minioImage = 'minio/minio:RELEASE.2025-04-22T22-12-26Z';

export async function resolveTestInfra(env: NodeJS.ProcessEnv = process.env): Promise<TestInfra> {
  const explicitKafka = env['KAFKA_BROKERS']?.trim();
  const explicitMongo = env['MONGODB_URI']?.trim();
  const stops: Array<() => Promise<unknown>> = [];
  let kafkaBrokers = explicitKafka ? explicitKafka.split(',') : undefined;
  let mongoUri = explicitMongo || undefined;
  let kafkaSource: InfraSource = 'environment';
  let mongoSource: InfraSource = 'environment';
  let s3Source: InfraSource = 'environment';
  let s3 = env['S3_ENDPOINT']?.trim() ? s3FromEnv(env, env['S3_ENDPOINT'].trim()) : undefined;

  if (!kafkaBrokers || !mongoUri || !s3) {
    const mode = env['APERTURE_TEST_INFRA'] ?? 'auto';
    const useContainers = mode === 'containers' || (mode === 'auto' && (await containerEngineAvailable()));
    if (useContainers) {
      const { KafkaContainer } = await import('@testcontainers/kafka');
      const { MongoDBContainer } = await import('@testcontainers/mongodb');
      if (!kafkaBrokers) {
        const kafka = await new KafkaContainer(kafkaImage)
          .withKraft()
          .withEnvironment({ KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false' })
          .start();
        stops.push(() => kafka.stop());
        kafkaBrokers = [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`];
        kafkaSource = 'testcontainers';
      }
      if (!mongoUri) {
        const mongo = await new MongoDBContainer(mongoImage).start();
        stops.push(() => mongo.stop());
        mongoUri = `${mongo.getConnectionString()}?directConnection=true`;
        mongoSource = 'testcontainers';
      }
      if (!s3) {
        const { GenericContainer, Wait } = await import('testcontainers');
        const minio = await new GenericContainer(minioImage)
          .withCommand(['server', '/data'])
          .withEnvironment({ MINIO_ROOT_USER: 'aperture-test', MINIO_ROOT_PASSWORD: 'aperture-test-secret' })
          .withExposedPorts(9000)
          .withWaitStrategy(Wait.forHttp('/minio/health/ready', 9000))
          .start();
        stops.push(() => minio.stop());
        s3 = {
          endpoint: `http://${minio.getHost()}:${minio.getMappedPort(9000)}`,
          bucket: 'aperture',
          region: 'us-east-1',
          accessKeyId: 'aperture-test',
          secretAccessKey: 'aperture-test-secret',
        };
        s3Source = 'testcontainers';
      }
    } else {
      const missing = [
        ...(kafkaBrokers ? [] : ['kafka']),
        ...(mongoUri ? [] : ['ferretdb']),
        ...(s3 ? [] : ['s3proxy']),
      ];
      const result = spawnSync(path.join(repoRoot, 'scripts/infra'), ['up', ...missing], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (result.status !== 0) {
        throw new Error(
          `scripts/infra up ${missing.join(' ')} failed (see its output above); the integration tests need them`,
        );
      }
      const kafkaPort = env['APERTURE_KAFKA_PORT'] ?? '9092';
      const mongoPort = env['APERTURE_MONGO_PORT'] ?? '27017';
      if (!kafkaBrokers) {
        kafkaBrokers = [`127.0.0.1:${kafkaPort}`];
        kafkaSource = 'local (scripts/infra)';
      }
      if (!mongoUri) {
        mongoUri = `mongodb://127.0.0.1:${mongoPort}/`;
        mongoSource = 'local (scripts/infra)';
      }
      if (!s3) {
        // What scripts/infra's S3Proxy uses: the same variables, the same defaults.
        s3 = {
          endpoint: `http://127.0.0.1:${env['APERTURE_S3_PORT'] ?? '9000'}`,
          bucket: env['APERTURE_S3_BUCKET'] ?? 'aperture',
          region: 'us-east-1',
          accessKeyId: env['APERTURE_S3_ACCESS_KEY'] ?? 'aperture-local',
          secretAccessKey: env['APERTURE_S3_SECRET_KEY'] ?? 'aperture-local-secret',
        };
        s3Source = 'local (scripts/infra)';
      }
    }
  }

  return {
    kafkaBrokers,
    mongoUri,
    s3,
    kafkaSource,
    mongoSource,
    s3Source,
    stop: async () => {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}

function s3FromEnv(env: NodeJS.ProcessEnv, endpoint: string): S3Settings {
  return {
    endpoint,
    bucket: env['S3_BUCKET']?.trim() || 'aperture',
    region: env['S3_REGION']?.trim() || 'us-east-1',
    accessKeyId: env['S3_ACCESS_KEY_ID']?.trim() ?? '',
    secretAccessKey: env['S3_SECRET_ACCESS_KEY']?.trim() ?? '',
  };
}

/** The S3 settings as the environment variables @aperture/config reads. */
export function s3Env(s3: S3Settings): Record<string, string> {
  return {
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
}

/** True when testcontainers can reach a Docker-compatible engine (a `docker` client alone is not enough). */
export async function containerEngineAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 10_000).unref()),
    ]);
    return Boolean(client);
  } catch {
    return false;
  }
}
