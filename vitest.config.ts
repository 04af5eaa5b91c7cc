// Test runner settings for the whole fleetlet repository: colocated unit tests and test/ suites.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['agent/**/*.test.ts', 'device-sim/**/*.test.ts', 'cloud/**/*.test.ts', 'schemas/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
