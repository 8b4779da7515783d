import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'ui', include: ['test/ui/**/*.test.tsx'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.{ts,tsx}'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 300_000,
          // Each file starts its own nginx and backends on free loopback ports; files run one at a time
          // so a diagnosis never sees another scenario's listeners as candidates.
          fileParallelism: false,
        },
      },
    ],
  },
});
