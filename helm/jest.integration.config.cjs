// helm:integration: the topics hook Job's script run against the real Kafka broker (the shared
// global setup starts or finds it and sets KAFKA_BROKERS).
const base = require('../libs/testing/jest.preset.cjs').jestConfig(__dirname, 'integration');

module.exports = { ...base, testMatch: ['<rootDir>/test/**/*.int-spec.ts'], testTimeout: 300_000 };
