import { randomBytes } from "node:crypto";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { deleteKeysWithPrefix } from "../../lib/redis/delete-prefix.ts";
import { testEnv } from "./env.ts";

export interface TestRedis {
  url: string;
  prefix: string;
  /** A connection with the prefix applied, like the services use. */
  redis: Redis;
  /** Another connection to the namespace, ready: what another process would hold. Closed by cleanup. */
  connect(): Promise<Redis>;
  cleanup(): Promise<void>;
}

async function ready(redis: Redis): Promise<Redis> {
  await new Promise<void>((resolve, reject) => {
    if (redis.status === "ready") return resolve();
    redis.once("ready", () => resolve());
    redis.once("error", reject);
  });
  return redis;
}

/** A random key namespace on the shared Redis for one test file; removed afterwards. */
export async function createTestRedis(url: string = testEnv().redisUrl): Promise<TestRedis> {
  const prefix = `t${randomBytes(5).toString("hex")}:`;
  const redis = await ready(createRedis(url, { keyPrefix: prefix }));
  const others: Redis[] = [];
  return {
    url,
    prefix,
    redis,
    async connect() {
      const other = createRedis(url, { keyPrefix: prefix });
      others.push(other);
      return await ready(other);
    },
    async cleanup() {
      await deleteKeysWithPrefix(url, prefix);
      for (const r of [redis, ...others]) r.disconnect();
    },
  };
}
