// Shared Jest settings for every project. Each project has two configs beside it:
//   jest.config.cjs              unit tests (*.spec.ts): pure, no network, no servers
//   jest.integration.config.cjs  integration tests (*.int-spec.ts): the real Kafka broker and MongoDB-wire server
// TypeScript is transpiled by SWC (fast on 2 cores); types are checked by each project's `typecheck` target.
const path = require('node:path');
const workspaceRoot = path.resolve(__dirname, '../..');
const { compilerOptions } = require('../../tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias}$`,
    path.join(workspaceRoot, target),
  ]),
);

/** How SWC compiles the sources (also used by ts-register.cjs, for child processes). */
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const transform = { '^.+\\.ts$': ['@swc/jest', swcOptions] };

/** @param {string} projectDir @param {'unit'|'integration'} kind */
function jestConfig(projectDir, kind) {
  const name = path.relative(workspaceRoot, projectDir);
  const integration = kind === 'integration';
  return {
    displayName: `${name}:${kind}`,
    rootDir: projectDir,
    testEnvironment: 'node',
    testMatch: integration ? ['<rootDir>/src/**/*.int-spec.ts'] : ['<rootDir>/src/**/*.spec.ts'],
    transform,
    moduleNameMapper,
    moduleFileExtensions: ['ts', 'js', 'json'],
    coverageDirectory: path.join(workspaceRoot, 'coverage', name),
    reporters: [
      'default',
      [
        path.join(__dirname, 'src/jest/summary-reporter.cjs'),
        { file: path.join(workspaceRoot, 'coverage', name, `${kind}-results.json`) },
      ],
    ],
    // Integration tests share one broker and one database, started once for the whole run.
    ...(integration && {
      globalSetup: path.join(__dirname, 'src/jest/global-setup.ts'),
      globalTeardown: path.join(__dirname, 'src/jest/global-teardown.ts'),
      testTimeout: 120_000,
    }),
  };
}

module.exports = { jestConfig, swcOptions };
