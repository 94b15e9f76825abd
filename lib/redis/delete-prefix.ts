import { createRedis } from "./connect.ts";

/** Deletes every key under `prefix` (SCAN + DEL on a raw connection): a test or benchmark namespace. */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const raw = createRedis(url);
  await new Promise<void>((r) => (raw.status === "ready" ? r() : raw.once("ready", () => r())));
  try {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== "0");
  } finally {
    raw.disconnect();
  }
}
