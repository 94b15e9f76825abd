import { afterEach, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { createSql, type Sql } from "./connect.ts";

// A server that accepts and closes at once, as PostgreSQL does while it shuts down or starts up
// after a restart. Unpatched, postgres.js 3.4.9 reconnects during startup at once and forever,
// and queries handed to that connection meanwhile never settle: after a restart a worker's claim
// hung until the reconciler re-queued the request (tests/e2e/chaos.test.ts). Patched
// (patches/postgres@3.4.9.patch), they fail with CONNECTION_CLOSED like a refused connection.
describe("a server that closes connections during startup", () => {
  let front: TCPSocketListener | undefined;
  let sql: Sql | undefined;
  let accepted = 0;
  afterEach(async () => {
    await sql?.end({ timeout: 0 });
    front?.stop(true);
    accepted = 0;
  });

  const closingServer = () =>
    Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          accepted++;
          s.end();
        },
        data() {},
      },
    });

  const settle = (q: Promise<unknown>) =>
    Promise.race([
      q.then(
        () => "resolved",
        (e: Error & { code?: string }) => e.code ?? e.message,
      ),
      Bun.sleep(10_000).then(() => "still pending after 10 s"),
    ]);

  test("a query fails with CONNECTION_CLOSED instead of hanging", async () => {
    front = closingServer();
    sql = createSql(`postgres://postgres@127.0.0.1:${front.port}/postgres`, { max: 1, timeoutMs: 1000 });
    expect(await settle(sql`SELECT 1`)).toBe("CONNECTION_CLOSED");
    expect(accepted).toBeGreaterThanOrEqual(1);
  });

  test("queries queued behind it fail too, each after its own try", async () => {
    front = closingServer();
    sql = createSql(`postgres://postgres@127.0.0.1:${front.port}/postgres`, { max: 2, timeoutMs: 1000 });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => settle(sql!`SELECT ${i}`)));
    expect(results).toEqual(Array(5).fill("CONNECTION_CLOSED"));
  });

  test("once the server answers, the same pool works again", async () => {
    let closing = true;
    // A front that closes while `closing`, then forwards to the real PostgreSQL.
    front = Bun.listen<{ up?: Bun.Socket<undefined>; pending: Uint8Array[] }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        async open(s) {
          s.data = { pending: [] };
          if (closing) return void s.end();
          const up = await Bun.connect({
            hostname: "127.0.0.1",
            port: 5432,
            socket: {
              data: (_u, d) => void s.write(d),
              close: () => void s.end(),
              error: () => void s.end(),
            },
          });
          for (const d of s.data.pending) up.write(d);
          s.data.up = up;
        },
        data(s, d) {
          if (s.data.up) s.data.up.write(d);
          else s.data.pending.push(new Uint8Array(d));
        },
        close(s) {
          s.data.up?.end();
        },
      },
    });
    sql = createSql(`postgres://postgres@127.0.0.1:${front.port}/postgres`, { max: 1, timeoutMs: 1000 });
    expect(await settle(sql`SELECT 1`)).toBe("CONNECTION_CLOSED");
    closing = false;
    const [row] = await sql<{ x: number }[]>`SELECT 41 + 1 AS x`;
    expect(row?.x).toBe(42);
  });
});
