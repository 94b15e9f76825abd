import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSimTls } from "../../services/cloudsim/sim/tls.ts";
import { type Receiver, startReceiver } from "../../tests/helpers/receiver.ts";
import { judgeAddress } from "./address-policy.ts";
import { type Resolver, type SendOptions, sendWebhook } from "./send.ts";

// The SSRF guard and the safe POST, against real receivers on loopback. Private-range and
// metadata addresses are never connected to: the refusal happens before any socket is opened, and
// the tests that name them use addresses that nothing here listens on.

let v4: Receiver;
let v6: Receiver;
beforeAll(() => {
  v4 = startReceiver();
  v6 = startReceiver({ hostname: "::1" });
});
afterAll(async () => {
  await v4.stop();
  await v6.stop();
});

const base = (url: string, over: Partial<SendOptions> = {}): SendOptions => ({
  url,
  headers: { "content-type": "application/json", "webhook-id": "msg_1" },
  body: '{"type":"request.succeeded"}',
  timeoutMs: 2000,
  maxResponseBytes: 1024,
  allowPrivate: false,
  ...over,
});

/** A resolver that answers from a table, counting its calls (the DNS a rebinding attacker controls). */
function fakeDns(table: Record<string, string[]>): Resolver & { calls: number } {
  const r = async (host: string) => {
    r.calls++;
    const addrs = table[host];
    if (!addrs) throw new Error(`ENOTFOUND ${host}`);
    return addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  r.calls = 0;
  return r;
}

describe("address judgement (ipaddr.js)", () => {
  test.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "metadata"],
    ["169.254.10.10", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["224.0.0.1", "multicast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["fe80::1", "linkLocal"],
    ["fc00::1", "uniqueLocal"],
    ["fd00:ec2::254", "metadata"],
    ["64:ff9b::a00:1", "rfc6052"],
    ["2002:a00:1::1", "6to4"],
  ])("%s is refused (%s)", (address, why) => {
    const verdict = judgeAddress(address, { allowPrivate: false });
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain(why === "metadata" ? "metadata" : why);
  });

  test("public unicast passes, IPv4 and IPv6, mapped or not", () => {
    for (const a of ["8.8.8.8", "1.1.1.1", "::ffff:8.8.8.8", "2001:4860:4860::8888"]) {
      expect(judgeAddress(a, { allowPrivate: false })).toEqual({ allowed: true });
    }
  });

  test("WEBHOOKS_ALLOW_PRIVATE admits loopback and private ranges, never metadata or unspecified", () => {
    for (const a of ["127.0.0.1", "10.0.0.1", "::1", "fd12::1", "::ffff:192.168.0.1"]) {
      expect(judgeAddress(a, { allowPrivate: true })).toEqual({ allowed: true });
    }
    for (const a of ["169.254.169.254", "fd00:ec2::254", "0.0.0.0", "::", "224.0.0.1"]) {
      expect(judgeAddress(a, { allowPrivate: true }).allowed).toBe(false);
    }
  });
});

describe("the SSRF guard refuses before sending anything", () => {
  test("loopback, IPv6 loopback and its IPv4-mapped forms: refused, the receiver gets nothing", async () => {
    const before = v4.hits.length + v6.hits.length;
    const urls = [
      `http://127.0.0.1:${v4.port}/hooks`,
      `http://2130706433:${v4.port}/hooks`, // 127.0.0.1 as a number
      `http://0x7f.1:${v4.port}/hooks`,
      `http://[::1]:${v6.port}/hooks`,
      `http://[::ffff:127.0.0.1]:${v4.port}/hooks`,
      `http://[::ffff:7f00:1]:${v4.port}/hooks`,
    ];
    for (const url of urls) {
      const r = await sendWebhook(base(url));
      expect(r.kind).toBe("refused");
    }
    expect(v4.hits.length + v6.hits.length).toBe(before);
  });

  test("10.x and the metadata addresses are refused without a connection attempt", async () => {
    for (const url of [
      "http://10.1.2.3/hooks",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00:ec2::254]/",
      "http://[::ffff:169.254.169.254]/",
    ]) {
      const started = Date.now();
      const r = await sendWebhook(base(url, { timeoutMs: 30_000 }));
      expect(r).toMatchObject({ kind: "refused" });
      // A connection attempt to an unrouted address would hang until the deadline.
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });

  test("a host name resolving to a private address is refused; one bad address of several refuses it", async () => {
    const dns = fakeDns({
      "evil.example": ["10.0.0.7"],
      "mixed.example": ["8.8.8.8", "127.0.0.1"],
      "meta.example": ["169.254.169.254"],
    });
    for (const host of ["evil.example", "mixed.example", "meta.example"]) {
      const r = await sendWebhook(base(`http://${host}:${v4.port}/hooks`, { resolve: dns }));
      expect(r.kind).toBe("refused");
    }
    // The real resolver: localhost is loopback.
    const before = v4.hits.length;
    expect((await sendWebhook(base(`http://localhost:${v4.port}/hooks`))).kind).toBe("refused");
    expect(v4.hits.length).toBe(before);
  });

  test("a redirect is not followed, even to an allowed address; it is a failed attempt", async () => {
    const target = startReceiver();
    const redirector = startReceiver({
      respond: () => new Response(null, { status: 302, headers: { location: target.url } }),
    });
    try {
      const r = await sendWebhook(base(redirector.url, { allowPrivate: true }));
      expect(r).toMatchObject({ kind: "answered", status: 302 });
      expect(redirector.hits).toHaveLength(1);
      expect(target.hits).toHaveLength(0);
    } finally {
      await target.stop();
      await redirector.stop();
    }
  });
});

describe("the safe POST", () => {
  test("connects to the address it judged (one lookup), Host and body as given", async () => {
    const dns = fakeDns({ "sink.test": ["127.0.0.1"] });
    const r = await sendWebhook(
      base(`http://sink.test:${v4.port}/hooks?x=1`, { allowPrivate: true, resolve: dns }),
    );
    expect(r).toMatchObject({ kind: "answered", status: 204 });
    expect(dns.calls).toBe(1);
    const hit = v4.hits.at(-1);
    expect(hit?.headers.host).toBe(`sink.test:${v4.port}`);
    expect(hit?.headers["webhook-id"]).toBe("msg_1");
    expect(hit?.body).toBe('{"type":"request.succeeded"}');
  });

  test("https: pinned to the judged address, certificate checked against the host name", async () => {
    const tls = await createSimTls({ extraHostnames: ["sink.test"] });
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: tls.certPem, key: tls.keyPem },
      fetch: (req) => new Response(req.headers.get("host")),
    });
    try {
      const dns = fakeDns({ "sink.test": ["127.0.0.1"], "other.test": ["127.0.0.1"] });
      const ok = await sendWebhook(
        base(`https://sink.test:${server.port}/`, { allowPrivate: true, resolve: dns, ca: tls.caPem }),
      );
      expect(ok).toMatchObject({ kind: "answered", status: 200, body: `sink.test:${server.port}` });
      const wrongName = await sendWebhook(
        base(`https://other.test:${server.port}/`, { allowPrivate: true, resolve: dns, ca: tls.caPem }),
      );
      expect(wrongName.kind).toBe("no_answer");
    } finally {
      server.stop(true);
    }
  });

  test("a hanging endpoint ends at the deadline", async () => {
    const hang = startReceiver({ respond: () => new Promise<Response>(() => {}) });
    try {
      const started = Date.now();
      const r = await sendWebhook(base(hang.url, { allowPrivate: true, timeoutMs: 300 }));
      expect(r.kind).toBe("no_answer");
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await hang.stop();
    }
  });

  test("at most maxResponseBytes of the answer is read", async () => {
    const big = startReceiver({ respond: () => new Response("x".repeat(1_000_000), { status: 500 }) });
    try {
      const r = await sendWebhook(base(big.url, { allowPrivate: true, maxResponseBytes: 100 }));
      expect(r).toMatchObject({ kind: "answered", status: 500 });
      if (r.kind === "answered") expect(r.body.length).toBe(100);
    } finally {
      await big.stop();
    }
  });

  test("unusable URLs and schemes are refused", async () => {
    expect((await sendWebhook(base("ftp://127.0.0.1/x", { allowPrivate: true }))).kind).toBe("refused");
    expect((await sendWebhook(base("not a url"))).kind).toBe("refused");
  });
});
