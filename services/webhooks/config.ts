import { z } from "zod";
import {
  baseEnv,
  ConfigError,
  databaseEnv,
  isoDuration,
  metricsEnv,
  parseEnv,
  redisEnv,
} from "../../lib/config/env.ts";
import { resolveSigners, type WebhookDirectory } from "../../lib/webhooks/directory.ts";

const ms = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

export const webhooksEnv = {
  ...baseEnv,
  ...databaseEnv,
  ...redisEnv,
  ...metricsEnv,
  /** The policy file: each client's endpoints, events and signing-secret names (docs/webhooks.md). */
  POLICY_FILE: z.string().optional(),
  /** Deliveries in flight per process (each endpoint also has its own `max_in_flight`). */
  WEBHOOKS_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  /** Deadline of one attempt: connect, send, answer. */
  WEBHOOKS_TIMEOUT_MS: ms(100, 120_000, 10_000),
  /** Bytes of an answer read at most; the rest is never read. */
  WEBHOOKS_MAX_RESPONSE_BYTES: z.coerce.number().int().min(0).max(1_048_576).default(4096),
  /** How long a delivery is retried before it is dead (ISO 8601). */
  WEBHOOKS_RETRY_HORIZON: isoDuration.prefault("P1D"),
  WEBHOOKS_BACKOFF_BASE_MS: ms(1, 3_600_000, 5000),
  WEBHOOKS_BACKOFF_MAX_MS: ms(1, 86_400_000, 3_600_000),
  /** "1": endpoints on loopback and private ranges are allowed (development, tests). Never metadata. */
  WEBHOOKS_ALLOW_PRIVATE: z.enum(["0", "1"], { error: 'must be "1" or "0"' }).default("0"),
  /** How often the outbox is looked at when it was empty (a full batch is followed at once). */
  WEBHOOKS_DISPATCH_INTERVAL_MS: ms(10, 60_000, 100),
  WEBHOOKS_DISPATCH_BATCH: z.coerce.number().int().min(1).max(10_000).default(200),
  /**
   * How long a queued delivery holds its row before the reconciler may queue it again. Default
   * WEBHOOKS_LEASE_MS + 10 s: an attempt that starts within 10 s of dispatch needs no write to
   * take its lease.
   */
  WEBHOOKS_QUEUE_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  /** How long a delivery chain holds its row per attempt. Default 2 × timeout + 5 s. */
  WEBHOOKS_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
  /** Wait before trying again when all of an endpoint's slots are busy (jittered, not an attempt). */
  WEBHOOKS_SLOT_WAIT_MS: ms(10, 60_000, 250),
  /** How often grant.expiring notices are looked for. */
  WEBHOOKS_EXPIRY_CHECK_MS: ms(100, 3_600_000, 5000),
  /** Extra CA (PEM file) trusted for https endpoints (a private PKI). */
  WEBHOOKS_CA_FILE: z.string().optional(),
  QUEUE_BLOCK_TIMEOUT_MS: ms(50, 30_000, 1000),
  WORKER_HEARTBEAT_INTERVAL_MS: ms(50, 60_000, 1000),
  SHUTDOWN_DEADLINE_MS: ms(100, 600_000, 10_000),
};

export type WebhooksConfig = ReturnType<typeof loadWebhooksConfig>;

export function loadWebhooksConfig(env: Record<string, string | undefined>) {
  const cfg = parseEnv(webhooksEnv, env);
  const leaseMs = cfg.WEBHOOKS_LEASE_MS ?? 2 * cfg.WEBHOOKS_TIMEOUT_MS + 5000;
  return {
    ...cfg,
    allowPrivate: cfg.WEBHOOKS_ALLOW_PRIVATE === "1",
    leaseMs,
    queueLeaseMs: cfg.WEBHOOKS_QUEUE_LEASE_MS ?? leaseMs + 10_000,
  };
}

/** The signing secrets the policy names, from the environment; one ConfigError naming every bad one. */
export function loadSigners(dir: WebhookDirectory, env: Record<string, string | undefined>) {
  const { signers, problems } = resolveSigners(dir, env);
  if (problems.length > 0) throw new ConfigError(problems);
  return signers;
}
