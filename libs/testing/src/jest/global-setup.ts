import { randomBytes } from 'node:crypto';
import { resolveTestInfra, s3Env, type TestInfra } from '../infra';

declare global {
  var __apertureTestInfra: TestInfra | undefined;
}

/**
 * Starts (or finds) the real broker and database once per Jest run and hands their addresses to
 * every test file through the environment (KAFKA_BROKERS, MONGODB_URI, S3_*).
 */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveTestInfra();
  globalThis.__apertureTestInfra = infra;
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers.join(',');
  process.env['MONGODB_URI'] = infra.mongoUri;
  Object.assign(process.env, s3Env(infra.s3));
  // The service identity every service started by the tests shares (in-process or as a child process).
  process.env['APERTURE_SERVICE_TOKEN'] ??= randomBytes(32).toString('hex');
  process.stderr.write(
    `\nintegration tests run against the real Kafka broker at ${infra.kafkaBrokers.join(',')} [${infra.kafkaSource}],` +
      ` the real MongoDB-wire server at ${infra.mongoUri} [${infra.mongoSource}]` +
      ` and the real S3-compatible server at ${infra.s3.endpoint} [${infra.s3Source}]\n`,
  );
}
