/** The broker and database addresses that global-setup put in the environment, for test files. */
export function testInfraEnv(): { kafkaBrokers: string[]; mongoUri: string } {
  const brokers = process.env['KAFKA_BROKERS'];
  const mongoUri = process.env['MONGODB_URI'];
  if (!brokers || !mongoUri) {
    throw new Error(
      'KAFKA_BROKERS and MONGODB_URI are not set: run integration tests through their jest.integration.config.cjs',
    );
  }
  return { kafkaBrokers: brokers.split(','), mongoUri };
}

/**
 * The environment of a service an integration test starts in-process: the broker and database,
 * a blob directory, ports the system chooses, and the test run's service identity (global setup
 * sets APERTURE_SERVICE_TOKEN; every service requires it). `env` adds to it or overrides it.
 */
export function serviceTestEnv(
  infra: { kafkaBrokers: string[]; mongoUri: string },
  blobDir: string,
  env: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    MONGODB_URI: infra.mongoUri,
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    BLOB_STORE_DIR: blobDir,
    APERTURE_SERVICE_TOKEN: process.env['APERTURE_SERVICE_TOKEN'] ?? '',
    ...env,
  };
}
