import { z } from "zod";
import { baseEnv, ConfigError, databaseEnv, metricsEnv, parseEnv, redisEnv } from "../../lib/config/env.ts";
import { queueConsumerEnv } from "../../lib/queue/env.ts";

const httpsUrl = z
  .url()
  .refine((u) => u.startsWith("https://"), "must be an https:// URL (the Azure SDKs refuse http)");

export const workerEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...redisEnv,
  ...queueConsumerEnv,
  ...metricsEnv,
  /** Which cloud this process serves; `--provider` on the command line wins. */
  WORKER_PROVIDER: z.enum(["aws", "azure"]).optional(),
  /** Deadline for one cloud grant or revoke, token and paging included. */
  CLOUD_CALL_TIMEOUT_MS: z.coerce.number().int().min(500).max(300_000).default(30_000),
  /**
   * How long a job holds its request's lease per attempt (a duplicate job of another chain does
   * nothing meanwhile); longer than an attempt can take. Default 2 × CLOUD_CALL_TIMEOUT_MS + 10 s.
   */
  WORKER_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  /** Handlings of one request, over every job that carried it, before it is FAILED (attempts_exhausted). */
  WORKER_MAX_HANDLINGS: z.coerce.number().int().min(1).max(1000).default(20),
  /**
   * AWS cannot say who attached a policy: for this long after our revocation the drift sweep
   * still removes access it finds again (a late write of ours); later, it only reports it.
   */
  DRIFT_REVOKE_AGAIN_MS: z.coerce.number().int().min(0).max(86_400_000).default(900_000),
  /** Revocations retry transient errors without end: first delay, and the cap of the backoff. */
  REVOCATION_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
  REVOCATION_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  /** How long SIGTERM waits for in-flight jobs before leaving them to the reaper. */
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().min(100).max(600_000).default(25_000),
  /**
   * The account's shared call budget (every worker of the account together, through Redis): calls
   * per second, 0 to turn it off. The default, 10, is Azure Resource Manager's documented
   * sustained write rate per tenant and subscription (a 200-token bucket refilled 10 a second;
   * reads have their own, 25 a second, so counting them in is conservative); AWS publishes no IAM
   * call rate, and 10 is a cautious figure for it. Too low only slows a backlog down (visible
   * in csecbridge_cloud_budget_wait_seconds); too high brings back the throttling it is there to
   * prevent. Set it to the account's quota less what other tools of the account use.
   */
  CLOUD_CALLS_PER_SECOND: z.coerce.number().min(0).max(100_000).default(10),
  /** Calls the budget lets go at once after a quiet spell; default two seconds' worth. */
  CLOUD_CALL_BURST: z.coerce.number().int().min(1).max(100_000).optional(),
  /**
   * Which budget this worker's calls count against: workers with the same value (and Redis key
   * prefix) share one. Default: AWS_ACCOUNT_ID for AWS (else "default"), AZURE_TENANT_ID for Azure.
   */
  CLOUD_ACCOUNT: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, "letters, digits, '.', '_' and '-' (at most 128)")
    .optional(),
  /** Longest one call waits for a budget slot; then it is not sent and its job retries later. */
  CLOUD_BUDGET_MAX_WAIT_MS: z.coerce.number().int().min(10).max(300_000).optional(),
  /** The standard SDK setting (the account of the credentials); names the AWS budget by default. */
  AWS_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, "12 digits")
    .optional(),
  AWS_REGION: z.string().min(1).max(32).default("us-east-1"),
  /** The standard SDK setting; points at cloudsim in development. */
  AWS_ENDPOINT_URL_IAM: z.url().optional(),
  AZURE_TENANT_ID: z.string().min(1).max(128).optional(),
  AZURE_CLIENT_ID: z.string().min(1).max(128).optional(),
  AZURE_CLIENT_SECRET: z.string().min(1).max(1024).optional(),
  AZURE_AUTHORITY_HOST: httpsUrl.optional(),
  AZURE_ARM_ENDPOINT: httpsUrl.optional(),
  AZURE_SUBSCRIPTION_ID: z.string().max(64).optional(),
  /** Extra CA (PEM file) trusted for Azure calls only: cloudsim's throwaway CA in development. */
  AZURE_CA_FILE: z.string().optional(),
};

export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;

/** `--provider aws|azure` (or WORKER_PROVIDER) plus the environment. */
export function loadWorkerConfig(env: Record<string, string | undefined>, argv: readonly string[]) {
  const flag = argv.indexOf("--provider");
  const fromFlag = flag >= 0 ? argv[flag + 1] : undefined;
  const cfg = parseEnv(workerEnv, { ...env, ...(fromFlag ? { WORKER_PROVIDER: fromFlag } : {}) });
  const provider = cfg.WORKER_PROVIDER;
  if (!provider) throw new ConfigError(["WORKER_PROVIDER: give --provider aws|azure or WORKER_PROVIDER"]);
  if (provider === "azure") {
    const missing = (["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] as const).filter(
      (k) => cfg[k] === undefined,
    );
    if (missing.length > 0) throw new ConfigError(missing.map((k) => `${k}: required for the azure worker`));
  }
  return {
    ...cfg,
    provider,
    leaseMs: cfg.WORKER_LEASE_MS ?? 2 * cfg.CLOUD_CALL_TIMEOUT_MS + 10_000,
    callBudget: callBudgetSettings(cfg, provider),
  };
}

export interface CallBudgetSettings {
  callsPerSecond: number;
  burst: number;
  account: string;
  maxWaitMs: number;
}

/** The budget this worker's calls take slots from; null when CLOUD_CALLS_PER_SECOND is 0. */
function callBudgetSettings(
  cfg: ReturnType<typeof parseEnv<typeof workerEnv>>,
  provider: "aws" | "azure",
): CallBudgetSettings | null {
  const callsPerSecond = cfg.CLOUD_CALLS_PER_SECOND;
  if (callsPerSecond === 0) return null;
  const derived = provider === "aws" ? (cfg.AWS_ACCOUNT_ID ?? "default") : (cfg.AZURE_TENANT_ID ?? "default");
  return {
    callsPerSecond,
    burst: cfg.CLOUD_CALL_BURST ?? Math.max(1, Math.round(2 * callsPerSecond)),
    account: cfg.CLOUD_ACCOUNT ?? derived,
    // The wait is part of a call: never longer than the call's own deadline.
    maxWaitMs: Math.min(cfg.CLOUD_BUDGET_MAX_WAIT_MS ?? 10_000, cfg.CLOUD_CALL_TIMEOUT_MS),
  };
}
