// The only place tests read the environment: where the shared PostgreSQL and Redis live.
export function testEnv() {
  return {
    adminUrl: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    /** The browser tests' Chromium: Debian's by default (.ci/run installs it). */
    chromium: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  };
}
