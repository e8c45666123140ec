import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'spec/**/*.spec.ts'],
    // The float64 reference is deliberately plain TypeScript; the held-out perplexity runs 20,000 tokens.
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
