// The chart's checks: helm lint/template, kubeconform against the generated schemas, assertions on
// the rendered objects, and the container files. `scripts/chart-tools install` runs first (the test
// target), so the tools are there; rendering runs helm a few dozen times, hence the long timeout.
const base = require('../libs/testing/jest.preset.cjs').jestConfig(__dirname, 'unit');

module.exports = { ...base, testMatch: ['<rootDir>/test/**/*.spec.ts'], testTimeout: 300_000 };
