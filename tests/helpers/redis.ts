import { randomBytes } from "node:crypto";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { deleteKeysWithPrefix } from "../../lib/redis/delete-prefix.ts";
import { testEnv } from "./env.ts";

export interface TestRedis {
  url: string;
  prefix: string;
  /** A connection with the prefix applied, like the services use. */
  redis: Redis;
  cleanup(): Promise<void>;
}

/** A random key namespace on the shared Redis for one test file; removed afterwards. */
export async function createTestRedis(): Promise<TestRedis> {
  const url = testEnv().redisUrl;
  const prefix = `t${randomBytes(5).toString("hex")}:`;
  const redis = createRedis(url, { keyPrefix: prefix });
  await new Promise<void>((resolve, reject) => {
    if (redis.status === "ready") return resolve();
    redis.once("ready", () => resolve());
    redis.once("error", reject);
  });
  return {
    url,
    prefix,
    redis,
    async cleanup() {
      await deleteKeysWithPrefix(url, prefix);
      redis.disconnect();
    },
  };
}
