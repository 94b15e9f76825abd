// `bun run dev`: the whole system on one machine. Makes sure PostgreSQL and Redis answer (starting
// local ones under .dev/ when they do not), migrates, then runs every service with readable,
// interleaved logs. Ctrl-C stops everything gracefully.
//
// Every port comes from a setting, or is the usual one when free, or any free one, and never one
// another running stack chose (scripts/dev-ports.ts): PORT (API, 8080), CLOUDSIM_AWS_PORT (4566),
// CLOUDSIM_AZURE_PORT (4567), AWS_WORKER_METRICS_PORT (9464), AZURE_WORKER_METRICS_PORT (9465),
// SCHEDULER_METRICS_PORT (9466), WEBHOOKS_METRICS_PORT (9467), UI_PORT (8081, the dashboard),
// UI_METRICS_PORT (9468), WEBHOOK_SINK_PORT (4570, the dev webhook receiver). Each stack keeps its
// own files (the simulator's CA, its policy file, stack.json with every URL) under
// .dev/<DEV_STACK>/ (default: port-<PORT>), so two stacks run side by side: give the second
// another PORT, and its own DATABASE_URL and REDIS_KEY_PREFIX if they must not share data.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
} from "../services/cloudsim/sim/azure/index.ts";
import { choosePorts } from "./dev-ports.ts";
import { prettyLine } from "./pretty-log.ts";

const root = resolve(import.meta.dir, "..");
const devDir = join(root, ".dev");
mkdirSync(devDir, { recursive: true });

const env: Record<string, string | undefined> = { ...process.env };
env.DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/csecbridge";
env.REDIS_URL ??= "redis://127.0.0.1:6379";
env.NODE_ENV ??= "development";

// Every port of this stack, claimed so that a stack started at the same moment never takes one
// of them before this one binds it (scripts/dev-ports.ts).
const chosen = await choosePorts(
  {
    api: { setting: "PORT", usual: 8080 },
    cloudsimAws: { setting: "CLOUDSIM_AWS_PORT", usual: 4566 },
    cloudsimAzure: { setting: "CLOUDSIM_AZURE_PORT", usual: 4567 },
    awsWorkerMetrics: { setting: "AWS_WORKER_METRICS_PORT", usual: 9464 },
    azureWorkerMetrics: { setting: "AZURE_WORKER_METRICS_PORT", usual: 9465 },
    schedulerMetrics: { setting: "SCHEDULER_METRICS_PORT", usual: 9466 },
    webhooksMetrics: { setting: "WEBHOOKS_METRICS_PORT", usual: 9467 },
    ui: { setting: "UI_PORT", usual: 8081 },
    uiMetrics: { setting: "UI_METRICS_PORT", usual: 9468 },
    webhookSink: { setting: "WEBHOOK_SINK_PORT", usual: 4570 },
  },
  env,
  join(devDir, "claims"),
).catch((err: unknown) => {
  console.error(`[dev] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
const ports = chosen.ports;
process.on("exit", chosen.release);
const stackName = (env.DEV_STACK ?? `port-${ports.api}`).replace(/[^A-Za-z0-9._-]/g, "_");
const stackDir = join(devDir, stackName);
mkdirSync(stackDir, { recursive: true });

const children: { name: string; proc: ReturnType<typeof Bun.spawn> }[] = [];
let stopping = false;

async function reachable(url: string, port: number): Promise<boolean> {
  const u = new URL(url);
  try {
    const s = await Bun.connect({
      hostname: u.hostname,
      port: Number(u.port || port),
      socket: { data() {} },
    });
    s.end();
    return true;
  } catch {
    return false;
  }
}

function which(cmd: string): string | null {
  const found = Bun.which(cmd);
  if (found) return found;
  for (const dir of [
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
  ]) {
    if (existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

async function sh(cmd: string[], asPostgres = false): Promise<number> {
  const argv = asPostgres && process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  return await Bun.spawn(argv, { cwd: root, env, stdout: "inherit", stderr: "inherit" }).exited;
}

async function waitFor(check: () => Promise<boolean>, seconds: number): Promise<boolean> {
  for (let i = 0; i < seconds * 10; i++) {
    if (await check()) return true;
    await Bun.sleep(100);
  }
  return false;
}

async function ensurePostgres(): Promise<void> {
  const url = new URL(env.DATABASE_URL ?? "");
  if (await reachable(env.DATABASE_URL ?? "", 5432)) return;
  const initdb = which("initdb");
  const pgCtl = which("pg_ctl");
  if (!initdb || !pgCtl || !["127.0.0.1", "localhost"].includes(url.hostname)) {
    console.error(
      `PostgreSQL is not reachable at ${url.host}. Install it (apt-get install postgresql) and start it, ` +
        "or run `docker compose up -d postgres`, or set DATABASE_URL.",
    );
    process.exit(1);
  }
  const data = join(devDir, "postgres");
  const port = url.port || "5432";
  console.log(`[dev] starting a local PostgreSQL on ${port} (data in .dev/postgres)`);
  if (process.getuid?.() === 0) await sh(["chown", "-R", "postgres", devDir]);
  if (!existsSync(join(data, "PG_VERSION"))) {
    await sh([initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"], true);
  }
  const code = await sh(
    [
      pgCtl,
      "-D",
      data,
      "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${devDir}`,
      "-l",
      join(devDir, "postgres.log"),
      "-w",
      "start",
    ],
    true,
  );
  if (code !== 0 || !(await waitFor(() => reachable(env.DATABASE_URL ?? "", 5432), 15))) {
    console.error("could not start PostgreSQL; see .dev/postgres.log");
    process.exit(1);
  }
}

async function ensureRedis(): Promise<void> {
  const url = new URL(env.REDIS_URL ?? "");
  if (await reachable(env.REDIS_URL ?? "", 6379)) return;
  const server = which("redis-server");
  if (!server || !["127.0.0.1", "localhost"].includes(url.hostname)) {
    console.error(
      `Redis is not reachable at ${url.host}. Install it (apt-get install redis-server) and start it, ` +
        "or run `docker compose up -d redis`, or set REDIS_URL.",
    );
    process.exit(1);
  }
  const port = url.port || "6379";
  console.log(`[dev] starting a local Redis on ${port} (data in .dev/redis)`);
  mkdirSync(join(devDir, "redis"), { recursive: true });
  // A child of this script: it stops when `bun run dev` stops.
  start(
    "redis",
    [
      server,
      "--port",
      port,
      "--bind",
      "127.0.0.1",
      "--dir",
      join(devDir, "redis"),
      "--maxmemory-policy",
      "noeviction",
      "--appendonly",
      "yes",
    ],
    false,
  );
  if (!(await waitFor(() => reachable(env.REDIS_URL ?? "", 6379), 10))) {
    console.error("could not start Redis");
    process.exit(1);
  }
}

function start(name: string, argv: string[], json = true, extraEnv: Record<string, string> = {}): void {
  const proc = Bun.spawn(argv, { cwd: root, env: { ...env, ...extraEnv }, stdout: "pipe", stderr: "pipe" });
  children.push({ name, proc });
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += dec.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) console.log(json ? prettyLine(name, line) : `[${name}] ${line}`);
        nl = buf.indexOf("\n");
      }
    }
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  void proc.exited.then((code) => {
    if (!stopping) {
      console.error(`[dev] ${name} exited with ${code}; stopping everything`);
      void shutdown(1);
    }
  });
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of [...children].reverse()) c.proc.kill("SIGTERM");
  await Promise.race([Promise.all(children.map((c) => c.proc.exited)), Bun.sleep(15_000)]);
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

await ensurePostgres();
await ensureRedis();
if ((await sh(["bun", "services/migrate/main.ts"])) !== 0) {
  console.error("[dev] migration failed");
  await shutdown(1);
}

// Without real cloud credentials the workers talk to cloudsim, the local stand-in for IAM and ARM.
const realCloud = Boolean(env.AWS_ACCESS_KEY_ID || env.AZURE_CLIENT_SECRET);
const cloudEnv: Record<string, string> = {};
if (!realCloud) {
  // This stack's own CA: a second stack never overwrites the first one's.
  const caFile = join(stackDir, "cloudsim-ca.pem");
  rmSync(caFile, { force: true });
  start("cloudsim", ["bun", "services/cloudsim/main.ts"], true, {
    CLOUDSIM_CA_FILE: caFile,
    CLOUDSIM_AWS_PORT: String(ports.cloudsimAws),
    CLOUDSIM_AZURE_PORT: String(ports.cloudsimAzure),
  });
  if (
    !(await waitFor(
      async () => existsSync(caFile) && (await reachable(`http://127.0.0.1:${ports.cloudsimAws}`, 0)),
      20,
    ))
  ) {
    console.error("[dev] cloudsim did not start");
    await shutdown(1);
  }
  await seedCloudsim();
  Object.assign(cloudEnv, {
    AWS_ENDPOINT_URL_IAM: `http://127.0.0.1:${ports.cloudsimAws}`,
    AWS_ACCESS_KEY_ID: "cloudsim",
    AWS_SECRET_ACCESS_KEY: "cloudsim",
    AWS_REGION: "us-east-1",
    AZURE_TENANT_ID: DEFAULT_TENANT_ID,
    AZURE_CLIENT_ID: DEFAULT_CLIENT_ID,
    AZURE_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    AZURE_AUTHORITY_HOST: `https://127.0.0.1:${ports.cloudsimAzure}`,
    AZURE_ARM_ENDPOINT: `https://127.0.0.1:${ports.cloudsimAzure}`,
    AZURE_CA_FILE: caFile,
  });
  console.log(
    `\n[dev] *** NO REAL CLOUD CREDENTIALS: the workers call CLOUDSIM (simulated IAM and ARM on :${ports.cloudsimAws}/:${ports.cloudsimAzure}). ***\n` +
      "[dev] *** Nothing real is granted. Set AWS_* / AZURE_* credentials to use real clouds.            ***\n",
  );
} else {
  console.log("[dev] real cloud credentials found: the workers call the real cloud APIs");
}

// Unless you bring your own tokens and policy, the API gets three public dev clients: `dev` (the
// submitter of the curl examples), `dashboard` (an operator: what the dashboard signs in with) and
// `audit` (an auditor: the export), with scripts/dev-policy.yaml. The `dev` client also gets a
// webhook endpoint on a local sink that verifies signatures and shows what it received; the
// signing secret is made fresh for every run and reaches the sink and the webhooks service
// through their environment only.
const DEV_TOKENS = {
  dev: "dev-token-change-me-0000",
  dashboard: "dev-dashboard-token-0000",
  audit: "dev-audit-token-0000",
};
const webhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
const apiEnv: Record<string, string> = { CSECBRIDGE_DEV: "1", PORT: String(ports.api) };
if (!env.POLICY_FILE) {
  const policyFile = join(stackDir, "policy.yaml");
  writeFileSync(policyFile, devPolicy(`http://127.0.0.1:${ports.webhookSink}/hooks`));
  env.POLICY_FILE = policyFile; // the API and the webhooks service read the same file
  if (!env.API_TOKENS) {
    apiEnv.API_TOKENS = Object.entries(DEV_TOKENS)
      .map(([client, secret]) => `${client}:${secret}`)
      .join(",");
  }
}
start("webhook-sink", ["bun", "services/webhook-sink/main.ts"], true, {
  WEBHOOK_SINK_PORT: String(ports.webhookSink),
  WEBHOOK_SINK_SECRETS: webhookSecret,
});

// Every service of the system, each a real process as in production.
// CSECBRIDGE_DEV=1 is what allows the public dev token when API_TOKENS is unset: asked for here only.
start("api", ["bun", "services/api/main.ts"], true, apiEnv);
start("webhooks", ["bun", "services/webhooks/main.ts"], true, {
  DEV_WEBHOOK_SECRET: webhookSecret,
  WEBHOOKS_ALLOW_PRIVATE: "1",
  METRICS_PORT: String(ports.webhooksMetrics),
});
start("scheduler", ["bun", "services/scheduler/main.ts"], true, {
  METRICS_PORT: String(ports.schedulerMetrics),
});
start("aws-worker", ["bun", "services/worker/main.ts", "--provider", "aws"], true, {
  ...cloudEnv,
  METRICS_PORT: String(ports.awsWorkerMetrics),
});
start("azure-worker", ["bun", "services/worker/main.ts", "--provider", "azure"], true, {
  ...cloudEnv,
  METRICS_PORT: String(ports.azureWorkerMetrics),
});
// The dashboard (services/ui): a static server with /api passed to this stack's API.
start("ui", ["bun", "services/ui/main.ts"], true, {
  PORT: String(ports.ui),
  API_URL: `http://127.0.0.1:${ports.api}`,
  METRICS_PORT: String(ports.uiMetrics),
});

const urls = {
  stack: stackName,
  api: `http://127.0.0.1:${ports.api}`,
  apiReference: `http://127.0.0.1:${ports.api}/api/v1/docs`,
  metrics: {
    api: `http://127.0.0.1:${ports.api}/metrics`,
    awsWorker: `http://127.0.0.1:${ports.awsWorkerMetrics}/metrics`,
    azureWorker: `http://127.0.0.1:${ports.azureWorkerMetrics}/metrics`,
    scheduler: `http://127.0.0.1:${ports.schedulerMetrics}/metrics`,
    webhooks: `http://127.0.0.1:${ports.webhooksMetrics}/metrics`,
    ui: `http://127.0.0.1:${ports.uiMetrics}/metrics`,
  },
  ...(realCloud
    ? {}
    : {
        cloudsim: {
          aws: `http://127.0.0.1:${ports.cloudsimAws}`,
          azure: `https://127.0.0.1:${ports.cloudsimAzure}`,
        },
      }),
  ui: `http://127.0.0.1:${ports.ui}`,
  webhookSink: `http://127.0.0.1:${ports.webhookSink}`,
  ports,
};
// For tools and tests that attach to this stack (a Prometheus, a second terminal).
writeFileSync(join(stackDir, "stack.json"), `${JSON.stringify(urls, null, 2)}\n`);
console.log(`[dev] stack "${stackName}" (.dev/${stackName}/stack.json):
  API            ${urls.api}   reference ${urls.apiReference}
  metrics        api ${urls.metrics.api}, aws-worker ${urls.metrics.awsWorker},
                 azure-worker ${urls.metrics.azureWorker}, scheduler ${urls.metrics.scheduler},
                 webhooks ${urls.metrics.webhooks}, dashboard ${urls.metrics.ui}${
                   realCloud
                     ? ""
                     : `\n  cloudsim       ${urls.cloudsim?.aws} (IAM), ${urls.cloudsim?.azure} (ARM + Entra)`
                 }
  dashboard      ${urls.ui}   ${
    apiEnv.API_TOKENS
      ? `sign in with ${DEV_TOKENS.dashboard} (operator) or ${DEV_TOKENS.audit} (auditor, may export)`
      : "sign in with a token of an operator or auditor of your POLICY_FILE"
  }
  webhook sink   ${urls.webhookSink}   the callbacks the dev client received, signatures verified
try:
  curl -s -XPOST localhost:${ports.api}/api/v1/requests -H 'authorization: Bearer dev-token-change-me-0000' \\
    -H 'content-type: application/json' -d '{"provider":"aws","action":"grant","principal":{"type":"user","name":"alice"},
    "permission":{"type":"managed_policy","policy_arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"},"duration":"PT2M"}'
  curl -s localhost:${ports.cloudsimAws}/_sim/state   # what cloudsim holds now`);

/**
 * The dev policy: scripts/dev-policy.yaml (a submitter that may ask for anything, the dashboard's
 * operator, an auditor), with webhooks for every event to the local sink for the `dev` client.
 * grant.expiring fires a minute before a grant's end.
 */
function devPolicy(sinkUrl: string): string {
  const base = parseYaml(readFileSync(join(root, "scripts", "dev-policy.yaml"), "utf8")) as {
    clients: Record<string, Record<string, unknown>>;
  };
  const dev = base.clients.dev ?? {};
  dev.webhooks = {
    endpoints: [{ url: sinkUrl }],
    events: [
      "request.succeeded",
      "request.failed",
      "grant.revoked",
      "grant.expiring",
      "grant.extended",
      "revocation.failed",
      "drift.detected",
    ],
    expiring_lead_time: "PT1M",
    secrets: [{ env: "DEV_WEBHOOK_SECRET" }],
  };
  base.clients.dev = dev;
  return `# Written by \`bun run dev\` (scripts/dev.ts) at every start from scripts/dev-policy.yaml;\n# set POLICY_FILE to use your own.\n${stringifyYaml(base)}`;
}

/** Sample principals, so the README's curl examples grant to someone who exists. */
async function seedCloudsim(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${ports.cloudsimAws}/_sim/seed`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      aws: {
        users: [{ name: "alice" }, { name: "bob" }],
        roles: [{ name: "batch-runner" }],
        groups: [{ name: "developers" }],
      },
      azure: { principals: [{ id: "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11", type: "User" }] },
    }),
  });
  if (!res.ok) console.error(`[dev] seeding cloudsim failed: ${res.status} ${await res.text()}`);
}
