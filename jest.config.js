// ESM end to end: NestJS 12 ships ESM only, so tests run under
// --experimental-vm-modules with swc compiling TypeScript to ES modules.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'es6' },
};

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    // @fastify/static 10 require()s content-disposition 3, which is ESM only: Node 20.19+ loads
    // that natively, jest's CommonJS loader does not (before Node 24.9), so it is compiled here.
    '/node_modules/content-disposition/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['^(?!.*/node_modules/content-disposition/).*/node_modules/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts', '<rootDir>/packages/*/test/**/*.spec.ts'],
  setupFiles: ['<rootDir>/test/setup/reflect.ts'],
  // Generous: a test that waits on a database or a child process must not fail only because
  // a busy 2-core machine is slow; no test asserts on time (speed is `npm run bench`).
  testTimeout: 120000,
  maxWorkers: 2,
  // A worker that grew past this between test files is replaced: on the embedded default it
  // keeps the run's peak near 2.2 GB instead of 2.8 (workers plus their test databases), at
  // no measurable cost in time (351 s against 342 s for the whole suite).
  workerIdleMemoryLimit: '400MB',
  // The stall reporter ends a run that no test timeout can end (test/setup/stall-reporter.js).
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js', '<rootDir>/test/setup/stall-reporter.js'],
};
