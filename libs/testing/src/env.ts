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
