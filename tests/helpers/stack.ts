import type { Policy } from "../../lib/policy/schema.ts";
import { type RunningCloudsim, startCloudsim } from "../../services/cloudsim/sim/server.ts";
import { auth, createTestApi, type TestApi } from "./api.ts";
import { type Service, spawnService, waitUntil } from "./spawn-service.ts";

/**
 * The whole system for end-to-end tests: the API in-process (app.request), cloudsim in-process
 * (real SDKs over HTTP/TLS), and workers and a scheduler as real child processes sharing this
 * test's database and Redis key prefix.
 */
export interface Stack {
  api: TestApi;
  cloud: RunningCloudsim;
  workers: Service[];
  scheduler: Service | undefined;
  startWorker(provider: "aws" | "azure", extra?: Record<string, string>): Promise<Service>;
  startScheduler(extra?: Record<string, string>): Promise<Service>;
  /** POSTs a request and returns its correlation id (expects 202). */
  submit(body: unknown): Promise<string>;
  status(id: string): Promise<Record<string, unknown>>;
  /** Polls GET until `until` holds for the view; returns it. */
  waitFor(
    id: string,
    until: (v: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export const AZURE_SUB = "6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d";
export const AZURE_RG = `/subscriptions/${AZURE_SUB}/resourceGroups/rg-dev`;
export const AZURE_USER = "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11";

export async function startStack(opts: { policy?: Policy | null } = {}): Promise<Stack> {
  const api = await createTestApi(opts);
  const cloud = await startCloudsim();
  seedCloud(cloud);
  const workers: Service[] = [];
  let scheduler: Service | undefined;
  const common = {
    DATABASE_URL: api.db.url,
    REDIS_URL: api.r.url,
    REDIS_KEY_PREFIX: api.r.prefix,
    LOG_LEVEL: "warn",
    // A free port each: several workers of one test never fight over the default 9464.
    METRICS_PORT: "0",
  };
  const stack: Stack = {
    api,
    cloud,
    workers,
    get scheduler() {
      return scheduler;
    },
    async startWorker(provider, extra = {}) {
      const w = spawnService("services/worker/main.ts", {
        ...common,
        WORKER_PROVIDER: provider,
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
        QUEUE_CONCURRENCY: "4",
        QUEUE_MAX_ATTEMPTS: "3",
        QUEUE_BACKOFF_BASE_MS: "100",
        QUEUE_BACKOFF_MAX_MS: "400",
        WORKER_HEARTBEAT_INTERVAL_MS: "200",
        CLOUD_CALL_TIMEOUT_MS: "5000",
        ...extra,
      });
      workers.push(w);
      // Registered once its heartbeat is in the workers set.
      await waitUntil(
        async () => (await api.r.redis.zcard(`queue:${provider}:workers`)) > 0,
        `${provider} worker up`,
      );
      return w;
    },
    async startScheduler(extra = {}) {
      scheduler = spawnService("services/scheduler/main.ts", {
        ...common,
        SCHEDULER_INTERVAL_MS: "100",
        WORKER_HEARTBEAT_TIMEOUT_MS: "1500",
        RECONCILE_INTERVAL_MS: "300",
        RECONCILE_STALE_AFTER_MS: "2000",
        ...extra,
      });
      return scheduler;
    },
    async submit(body) {
      const res = await api.post(body);
      if (res.status !== 202) throw new Error(`POST → ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { correlation_id: string }).correlation_id;
    },
    async status(id) {
      const res = await api.get(`/api/v1/requests/${id}`, auth());
      return (await res.json()) as Record<string, unknown>;
    },
    async waitFor(id, until, timeoutMs = 15_000) {
      let last: Record<string, unknown> = {};
      try {
        await waitUntil(
          async () => {
            last = await stack.status(id);
            return until(last);
          },
          `request ${id}`,
          timeoutMs,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last view: ${JSON.stringify(last)}`);
      }
      return last;
    },
    async close() {
      await Promise.all([...workers, ...(scheduler ? [scheduler] : [])].map((s) => s.stop("SIGKILL")));
      await cloud.stop();
      await api.close();
    },
  };
  return stack;
}

/** Principals the tests grant to: they must exist in the cloud, as in real life. */
export function seedCloud(cloud: RunningCloudsim): void {
  for (const u of ["alice", "bob", "carol", "dave", "erin"]) cloud.aws.seedUser(u);
  cloud.aws.seedRole("batch-runner");
  for (const g of ["developers", "auditors"]) cloud.aws.seedGroup(g);
  cloud.azure.seedPrincipals({ id: AZURE_USER, type: "User" });
}

export const settled = (v: Record<string, unknown>) => v.status === "SUCCESS" || v.status === "FAILED";
