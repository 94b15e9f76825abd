// The real system the revocation model drives: the API in-process (app.request), cloudsim
// in-process (the real SDKs reach it over HTTP/TLS), and real worker and scheduler processes on a
// throwaway Redis (FLUSHALL is allowed) and a fresh database per case on the shared PostgreSQL.
import { AddUserToGroupCommand, AttachUserPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import { parseApiTokens } from "../../lib/auth/api-tokens.ts";
import { assertMigrated } from "../../lib/db/migrate.ts";
import { createApp } from "../../lib/http/app.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { createIamClient } from "../../lib/providers/aws/create-iam-client.ts";
import { createRedis, type Redis } from "../../lib/redis/connect.ts";
import { migrations } from "../../migrations/index.ts";
import { type RunningCloudsim, startCloudsim } from "../../services/cloudsim/sim/server.ts";
import { TEST_FALLBACK_LIMIT } from "../helpers/api.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { type Service, spawnService, waitUntil } from "../helpers/spawn-service.ts";
import { type ThrowawayRedis, throwawayRedis } from "../helpers/throwaway.ts";
import { ACCESSES, AZ_SUB, AZ_USER, type Provider, seedUniverse } from "./universe.ts";

const TOKEN = "model-secret-0123456789";

/** What outlives one case: the throwaway Redis and cloudsim (reset between cases). */
export interface SharedInfra {
  rd: ThrowawayRedis;
  cloud: RunningCloudsim;
  /** An IAM client of "someone else": seeds access out of band, through the wire. */
  admin: IAMClient;
  close(): Promise<void>;
}

export async function startSharedInfra(): Promise<SharedInfra> {
  const rd = throwawayRedis();
  await rd.start();
  const cloud = await startCloudsim();
  const admin = createIamClient({
    region: "us-east-1",
    endpoint: cloud.awsUrl,
    credentials: { accessKeyId: "AKIAOUTOFBANDADMIN00", secretAccessKey: "admin" },
    maxAttempts: 1,
    requestTimeoutMs: 1000,
  });
  return {
    rd,
    cloud,
    admin,
    async close() {
      admin.destroy();
      await cloud.stop();
      await rd.stop();
    },
  };
}

/** Time relative to the case's start, for the timeline. */
export type Timeline = (line: string) => void;

/** One case's system: a fresh database, an empty Redis, the cloud reset, new processes. */
export interface System {
  infra: SharedInfra;
  db: TestDatabase;
  redis: Redis;
  t0: number;
  lines: string[];
  note: Timeline;
  /** POSTs a grant; returns its correlation id. */
  submit(body: Record<string, unknown>): Promise<string>;
  /** POST /api/v1/requests/{id}/revoke; returns the HTTP status. */
  revokeEarly(id: string): Promise<number>;
  startWorker(p: Provider): Service;
  /** kill -9 of every worker of `p`. */
  killWorkers(p: Provider): Promise<void>;
  startScheduler(): Service;
  stopScheduler(signal: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** One live worker per provider and a live scheduler, started if missing. */
  ensureRunning(): void;
  /** Out of band: the access is put in place by someone else (not through the bridge). */
  seedOutOfBand(i: number): Promise<{ azureName?: string }>;
  /** The last lines of every process's output (for a failure report). */
  tails(n: number): string;
  close(): Promise<void>;
}

const alive = (s: Service | undefined) => s !== undefined && s.proc.exitCode === null && !s.proc.killed;

export async function startSystem(infra: SharedInfra, logLevel = "warn"): Promise<System> {
  const { rd, cloud } = infra;
  const t0 = Date.now();
  const lines: string[] = [];
  const note: Timeline = (line) =>
    lines.push(`${((Date.now() - t0) / 1000).toFixed(2).padStart(6)}s ${line}`);
  seedUniverse(cloud);
  const db = await createTestDatabase();
  const redis = createRedis(rd.url);
  redis.on("error", () => {});
  await waitUntil(async () => redis.status === "ready", "redis");
  await redis.flushall();
  const app = createApp({
    sql: db.sql,
    redis,
    log: createLogger({ service: "model-api", level: "silent" }),
    clients: parseApiTokens(`model:${TOKEN}`, { minSecretLength: 8 }),
    policy: null,
    now: () => new Date(),
    checkMigrated: () => assertMigrated(db.sql, migrations),
    rateLimits: { enabled: false, fallback: TEST_FALLBACK_LIMIT },
    limits: {
      bodyBytes: 65536,
      maxGrantDurationMs: 3600_000,
      dbTimeoutMs: 2000,
      redisTimeoutMs: 1000,
      cacheSettledSeconds: 300,
      cacheMovingSeconds: 1,
      retryAfterSeconds: 1,
    },
  });
  const headers = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
  const common = { DATABASE_URL: db.url, REDIS_URL: rd.url, LOG_LEVEL: logLevel };
  const workers: Record<Provider, Service[]> = { aws: [], azure: [] };
  const all: Service[] = [];
  let scheduler: Service | undefined;

  const sys: System = {
    infra,
    db,
    redis,
    t0,
    lines,
    note,
    async submit(body) {
      const res = await app.request("/api/v1/requests", {
        method: "POST",
        headers,
        body: JSON.stringify(body),
      });
      if (res.status !== 202) throw new Error(`POST → ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { correlation_id: string }).correlation_id;
    },
    async revokeEarly(id) {
      const res = await app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers });
      await res.arrayBuffer();
      return res.status;
    },
    startWorker(p) {
      const w = spawnService("services/worker/main.ts", {
        ...common,
        WORKER_PROVIDER: p,
        AWS_ENDPOINT_URL_IAM: cloud.awsUrl,
        AWS_ACCESS_KEY_ID: "AKIATESTTESTTESTTEST",
        AWS_SECRET_ACCESS_KEY: "test-secret-key",
        AWS_REGION: "us-east-1",
        AZURE_TENANT_ID: cloud.tenantId,
        AZURE_CLIENT_ID: cloud.clientId,
        AZURE_CLIENT_SECRET: cloud.clientSecret,
        AZURE_AUTHORITY_HOST: cloud.authorityHost,
        AZURE_ARM_ENDPOINT: cloud.azureUrl,
        AZURE_CA_FILE: cloud.caFile,
        QUEUE_CONCURRENCY: "3",
        QUEUE_MAX_ATTEMPTS: "6",
        QUEUE_BACKOFF_BASE_MS: "100",
        QUEUE_BACKOFF_MAX_MS: "1000",
        QUEUE_BLOCK_TIMEOUT_MS: "500",
        WORKER_HEARTBEAT_INTERVAL_MS: "200",
        CLOUD_CALL_TIMEOUT_MS: "2000",
        REVOCATION_BACKOFF_BASE_MS: "200",
        REVOCATION_BACKOFF_MAX_MS: "2000",
        SHUTDOWN_DEADLINE_MS: "2000",
      });
      workers[p].push(w);
      all.push(w);
      return w;
    },
    async killWorkers(p) {
      const live = workers[p].filter(alive);
      await Promise.all(live.map((w) => w.stop("SIGKILL")));
    },
    startScheduler() {
      scheduler = spawnService("services/scheduler/main.ts", {
        ...common,
        SCHEDULER_INTERVAL_MS: "100",
        WORKER_HEARTBEAT_TIMEOUT_MS: "1500",
        RECONCILE_INTERVAL_MS: "500",
        RECONCILE_STALE_AFTER_MS: "2000",
        RECONCILE_OVERDUE_AFTER_MS: "2000",
        DRIFT_SWEEP_INTERVAL_MS: "5000",
        DRIFT_SWEEP_CALLS_PER_SECOND: "5",
        SHUTDOWN_TIMEOUT_MS: "2000",
      });
      all.push(scheduler);
      return scheduler;
    },
    async stopScheduler(signal) {
      if (alive(scheduler)) await scheduler?.stop(signal);
    },
    ensureRunning() {
      for (const p of ["aws", "azure"] as const) {
        if (!workers[p].some(alive)) {
          note(`ensure: start ${p} worker`);
          sys.startWorker(p);
        }
      }
      if (!alive(scheduler)) {
        note("ensure: start scheduler");
        sys.startScheduler();
      }
    },
    async seedOutOfBand(i) {
      const a = ACCESSES[i];
      if (a === undefined) throw new Error(`no access ${i}`);
      if (a.kind === "azure_role") {
        const r = cloud.azure.seedRoleAssignment({
          scope: `/subscriptions/${AZ_SUB}/resourceGroups/${a.resourceGroup}`,
          roleDefinitionId: a.roleGuid,
          principalId: AZ_USER,
        });
        return { azureName: r.name.toLowerCase() };
      }
      // Through the wire, as another admin would: faults in force may throttle or drop it, so
      // it is tried until the cloud shows it.
      const present = () => {
        const u = cloud.aws.snapshot().users[a.user];
        return a.kind === "aws_policy"
          ? (u?.attachedPolicies.includes(`arn:aws:iam::aws:policy/${a.policy}`) ?? false)
          : (u?.groups.includes(a.group) ?? false);
      };
      await waitUntil(
        async () => {
          if (present()) return true;
          const sent =
            a.kind === "aws_policy"
              ? infra.admin.send(
                  new AttachUserPolicyCommand({
                    UserName: a.user,
                    PolicyArn: `arn:aws:iam::aws:policy/${a.policy}`,
                  }),
                )
              : infra.admin.send(new AddUserToGroupCommand({ UserName: a.user, GroupName: a.group }));
          await sent.catch(() => undefined);
          return present();
        },
        `out-of-band seed of access ${i}`,
        20_000,
      );
      return {};
    },
    tails(n) {
      return all
        .map((s, k) => {
          const out = s.output().trimEnd().split("\n").slice(-n).join("\n");
          return `--- process ${k} (exit ${s.proc.exitCode ?? "running"}) ---\n${out}`;
        })
        .join("\n");
    },
    async close() {
      await Promise.all(all.filter(alive).map((s) => s.stop("SIGKILL")));
      redis.disconnect();
      await db.drop();
    },
  };
  return sys;
}
