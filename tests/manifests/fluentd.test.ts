import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createEmptyDatabaseName } from "../helpers/db.ts";
import { createTestRedis, type TestRedis } from "../helpers/redis.ts";
import { spawnService, waitUntil } from "../helpers/spawn-service.ts";

// The Fluentd configs' parsing, checked against real lines our services print. Fluentd itself is
// not run here (no Debian package, and RubyGems is out of reach): what is checked is the parse
// rule each config states — the CRI regexp of kubernetes.conf, the Docker json-file record of
// compose.conf, the pino JSON parser with its time key and format, the grep of compose.conf.

const root = resolve(import.meta.dir, "../..");
const k8sConf = await Bun.file(`${root}/manifests/efk/fluentd/kubernetes.conf`).text();
const composeConf = await Bun.file(`${root}/manifests/efk/fluentd/compose.conf`).text();

/** The `expression /.../` of a <parse> block: Ruby named groups read the same in JavaScript. */
function criRegexp(conf: string): RegExp {
  const m = /^\s*expression \/(.+)\/\s*$/m.exec(conf);
  if (!m?.[1]) throw new Error("no regexp parse expression in kubernetes.conf");
  return new RegExp(m[1]);
}

/** What `@type json` + `time_key time` + `time_format %iso8601` make of a log line. */
function pinoRecord(line: string): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null; // emit_invalid_record_to_error false + reserve_data: the line stays in `log`
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const record = v as Record<string, unknown>;
  const time = record.time;
  if (
    typeof time !== "string" ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(time)
  ) {
    throw new Error(`time is not ISO 8601: ${String(time)}`);
  }
  return record;
}

describe("Fluentd parsing rules against real service output", () => {
  let r: TestRedis;
  const lines: { service: string; stream: "stdout" | "stderr"; text: string }[] = [];

  beforeAll(async () => {
    r = await createTestRedis();
    const empty = await createEmptyDatabaseName();
    try {
      // migrate: info lines on stdout.
      const migrate = spawnService("services/migrate/main.ts", {
        DATABASE_URL: empty.url,
        LOG_LEVEL: "info",
      });
      expect(await migrate.proc.exited).toBe(0);
      for (const t of migrate.output().split("\n").filter(Boolean))
        lines.push({ service: "migrate", stream: "stdout", text: t });
      // scheduler: start, warnings, stop.
      const scheduler = spawnService("services/scheduler/main.ts", {
        DATABASE_URL: empty.url,
        REDIS_URL: r.url,
        REDIS_KEY_PREFIX: r.prefix,
        METRICS_PORT: "0",
        LOG_LEVEL: "info",
      });
      await waitUntil(
        async () => scheduler.output().includes("scheduler started"),
        "the scheduler's start line",
      );
      expect(await scheduler.stop()).toBe(0);
      for (const t of scheduler.output().split("\n").filter(Boolean))
        lines.push({ service: "scheduler", stream: "stdout", text: t });
    } finally {
      await empty.drop();
    }
    // api without tokens: the one-line refusal on stderr that is not JSON.
    const api = Bun.spawn(["bun", "services/api/main.ts"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await api.exited).toBe(2);
    const err = (await new Response(api.stderr).text()).trim();
    lines.push({ service: "api", stream: "stderr", text: err });
  });
  afterAll(async () => {
    await r?.cleanup();
  });

  test("the services printed pino JSON lines and one plain start-up refusal", () => {
    const json = lines.filter((l) => pinoRecord(l.text) !== null);
    expect(json.length).toBeGreaterThanOrEqual(4);
    expect(lines.find((l) => l.stream === "stderr")?.text).toStartWith(
      "csecbridge-api: invalid configuration: API_TOKENS",
    );
  });

  test("kubernetes.conf: the CRI regexp splits each line, and the JSON parser lifts pino's fields", () => {
    const cri = criRegexp(k8sConf);
    for (const l of lines) {
      const framed = `2026-12-01T23:00:00.123456789Z ${l.stream} F ${l.text}`;
      const m = cri.exec(framed);
      expect(m?.groups).toEqual({
        time: "2026-12-01T23:00:00.123456789Z",
        stream: l.stream,
        logtag: "F",
        log: l.text,
      });
      const record = pinoRecord(m?.groups?.log ?? "");
      if (l.stream === "stderr") {
        expect(record).toBeNull(); // kept as `log`
        continue;
      }
      expect(record).toMatchObject({ service: `csecbridge-${l.service}` });
      expect(typeof record?.level).toBe("string");
      expect(typeof record?.msg).toBe("string");
      expect(Number.isNaN(Date.parse(String(record?.time)))).toBe(false);
    }
  });

  test("kubernetes.conf: a line the runtime split (P…F) re-joins into the original before parsing", () => {
    const cri = criRegexp(k8sConf);
    expect(k8sConf).toMatch(/use_partial_cri_logtag true/);
    expect(k8sConf).toMatch(/separator ""/);
    const long = JSON.stringify({
      level: "info",
      time: new Date().toISOString(),
      service: "csecbridge-api",
      msg: "x".repeat(40_000),
    });
    const parts = [long.slice(0, 16_384), long.slice(16_384, 32_768), long.slice(32_768)];
    const framed = parts.map(
      (p, i) => `2026-12-01T23:00:00Z stdout ${i < parts.length - 1 ? "P" : "F"} ${p}`,
    );
    const groups = framed.map((f) => cri.exec(f)?.groups);
    expect(groups.map((g) => g?.logtag)).toEqual(["P", "P", "F"]);
    const joined = groups.map((g) => g?.log ?? "").join("");
    expect(joined).toBe(long);
    expect(pinoRecord(joined)?.service).toBe("csecbridge-api");
  });

  test("kubernetes.conf tails only the csecbridge namespace's container files", () => {
    const path = /^\s*path (\S+)$/m.exec(k8sConf)?.[1] ?? "";
    const glob = new Bun.Glob(path.replace(/^\/var\/log\/containers\//, ""));
    expect(glob.match("csecbridge-api-7d9f8c6b5-x2x9k_csecbridge_api-0123456789abcdef.log")).toBe(true);
    expect(glob.match("coredns-5d78c9869d-abcde_kube-system_coredns-0123456789abcdef.log")).toBe(false);
  });

  test("compose.conf: Docker's json-file record, then the pino parser, then the csecbridge-only grep", () => {
    const service = /key service\s+pattern \/(.+)\//.exec(composeConf)?.[1] ?? "";
    const log = /key log\s+pattern \/(.+)\//.exec(composeConf)?.[1] ?? "";
    expect(service).toBe("^csecbridge-");
    for (const l of lines) {
      // What the json-file driver writes for each line.
      const entry = JSON.parse(
        JSON.stringify({ log: `${l.text}\n`, stream: l.stream, time: "2026-12-01T23:00:00.123456789Z" }),
      );
      const record = pinoRecord(String(entry.log));
      const kept = record
        ? new RegExp(service).test(String(record.service))
        : new RegExp(log).test(String(entry.log));
      expect({ line: l.text.slice(0, 80), kept }).toEqual({ line: l.text.slice(0, 80), kept: true });
    }
    // Someone else's line (PostgreSQL's) is dropped.
    expect(new RegExp(log).test("2026-12-01 23:00:00.000 UTC [1] LOG:  database system is ready")).toBe(
      false,
    );
  });
});
