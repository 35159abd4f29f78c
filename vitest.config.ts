import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sandboxes, real compilers: a test grades whole submissions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers only make grading jobs compete for them.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
