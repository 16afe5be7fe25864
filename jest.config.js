/** CDK unit tests: TypeScript through @swc/jest (ts-jest does not support TypeScript 7). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/cdk/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  // Synthesizing three stages takes a few seconds per app.
  testTimeout: 120000,
};
