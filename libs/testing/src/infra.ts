import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * The real servers an integration test talks to. Chosen per variable, in this order:
 *   1. KAFKA_BROKERS / MONGODB_URI set in the environment: used as they are;
 *   2. a container engine reachable by testcontainers: a Kafka and a MongoDB container;
 *   3. otherwise the project's own local servers, started (idempotently) with `scripts/infra up`.
 * APERTURE_TEST_INFRA=local or =containers forces 2 or 3.
 */
export interface TestInfra {
  kafkaBrokers: string[];
  mongoUri: string;
  /** How each server was provided, for the log line that says what the tests ran against. */
  kafkaSource: InfraSource;
  mongoSource: InfraSource;
  stop(): Promise<void>;
}

export type InfraSource = 'environment' | 'testcontainers' | 'local (scripts/infra)';

const repoRoot = path.resolve(__dirname, '../../..');

// Image tags for the container path: Confluent Platform 8.0 is Apache Kafka 4.0 in KRaft mode.
const kafkaImage = 'confluentinc/cp-kafka:8.0.0';
const mongoImage = 'mongo:8.0';

export async function resolveTestInfra(env: NodeJS.ProcessEnv = process.env): Promise<TestInfra> {
  const explicitKafka = env['KAFKA_BROKERS']?.trim();
  const explicitMongo = env['MONGODB_URI']?.trim();
  const stops: Array<() => Promise<unknown>> = [];
  let kafkaBrokers = explicitKafka ? explicitKafka.split(',') : undefined;
  let mongoUri = explicitMongo || undefined;
  let kafkaSource: InfraSource = 'environment';
  let mongoSource: InfraSource = 'environment';

  if (!kafkaBrokers || !mongoUri) {
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
    } else {
      const result = spawnSync(path.join(repoRoot, 'scripts/infra'), ['up'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (result.status !== 0) {
        throw new Error(
          'scripts/infra up failed (see its output above); the integration tests need Kafka and FerretDB',
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
    }
  }

  return {
    kafkaBrokers,
    mongoUri,
    kafkaSource,
    mongoSource,
    stop: async () => {
      await Promise.all(stops.map((stop) => stop()));
    },
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
