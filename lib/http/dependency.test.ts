import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { waitUntil } from "../../tests/helpers/spawn-service.ts";
import { startTcpProxy, type TcpProxy } from "../../tests/helpers/tcp-proxy.ts";
import { DependencyUnavailableError } from "../errors/http-errors.ts";
import { createRedis, type Redis } from "../redis/connect.ts";
import { guardedRedis } from "./dependency.ts";

// A Redis whose replies never come back (a proxy that swallows them): the call must end within
// the deadline as a DependencyUnavailableError, whether the deadline is the connection's own
// command timeout or guarded()'s timer.
let proxy: TcpProxy;
const open: Redis[] = [];
beforeAll(async () => {
  proxy = await startTcpProxy(6379);
});
afterAll(() => {
  for (const r of open) r.disconnect();
  proxy.stop();
});

async function connect(commandTimeoutMs?: number): Promise<Redis> {
  const r = createRedis(`redis://127.0.0.1:${proxy.port}`, commandTimeoutMs ? { commandTimeoutMs } : {});
  r.on("error", () => {});
  open.push(r);
  await waitUntil(async () => r.status === "ready", "redis through the proxy");
  return r;
}

describe("guardedRedis", () => {
  test("answers pass through; an error of the call is a DependencyUnavailableError", async () => {
    proxy.passReplies();
    const r = await connect(500);
    expect(await guardedRedis(r, 500, () => r.ping())).toBe("PONG");
    const err = await guardedRedis(r, 500, () => r.call("NO-SUCH-COMMAND")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
  });

  for (const [label, own] of [
    ["the connection's command timeout ends it", 150],
    ["without one, guarded()'s timer ends it", undefined],
    ["a command timeout longer than the deadline: the timer ends it", 60_000],
  ] as const) {
    test(`a reply that never comes: ${label}`, async () => {
      proxy.passReplies();
      const r = await connect(own);
      proxy.holdReplies();
      const started = performance.now();
      const err = await guardedRedis(r, 150, () => r.get("k")).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      // Ended by a deadline near 150 ms, not by the 60 s one (generous for a loaded machine).
      expect(performance.now() - started).toBeLessThan(10_000);
    });
  }
});
