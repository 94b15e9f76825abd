import type { Redis } from "ioredis";
import type { Webhook } from "standardwebhooks";
import type { Sql } from "../db/connect.ts";
import {
  type ClaimedDelivery,
  claimDelivery,
  deferDelivery,
  markDead,
  markDelivered,
  recordFailedAttempt,
} from "../db/webhook-deliveries.ts";
import { AppError } from "../errors/app-error.ts";
import type { Logger } from "../logging/logger.ts";
import { type BackoffOptions, backoffDelayMs } from "../queue/backoff.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";
import type { DeliveryJob } from "./delivery-job.ts";
import { findEndpoint, type WebhookDirectory } from "./directory.ts";
import { acquireEndpointSlot, releaseEndpointSlot } from "./endpoint-slots.ts";
import { type Resolver, type SendResult, sendWebhook } from "./send.ts";
import { signedHeaders } from "./sign.ts";

export interface DeliveryDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  directory: WebhookDirectory;
  /** Per client, one signer per signing secret (docs/webhooks.md, rotation). */
  signers: ReadonlyMap<string, readonly Webhook[]>;
  /** Deadline of one attempt: connect, send, answer. */
  timeoutMs: number;
  maxResponseBytes: number;
  allowPrivate: boolean;
  resolve?: Resolver;
  ca?: string;
  /** How long a chain holds a delivery per attempt (longer than an attempt can take). */
  leaseMs: number;
  /** Retries stop this long after the first attempt (or a redelivery). */
  horizonMs: number;
  backoff: BackoffOptions;
  /** Wait before trying again when every slot of the endpoint is busy (jittered). */
  slotWaitMs: number;
}

/** The delivery is over without success: the queue dead-letters the job (the row is already `dead`). */
export class DeliveryGaveUpError extends AppError {
  readonly code = "delivery_gave_up";
  readonly retryable = false;
}

/** Longest wait between two tries of a job interrupted by PostgreSQL or Redis being unreachable. */
const INFRA_RETRY_MAX_MS = 5000;

/**
 * Delivers one webhook (a `queue:webhooks` job): claim the row's lease → wait for its time →
 * take one of the endpoint's slots (or come back shortly, no attempt counted) → sign with every
 * secret → POST safely (send.ts) → delivered on 2xx; otherwise retry with exponential backoff and
 * jitter until the horizon, then dead. Refused addresses (SSRF guard) are dead at once: nothing
 * was sent, and retrying would not change the address. At-least-once: a worker killed after the
 * receiver answered but before the row says so sends again, with the same `webhook-id`.
 */
export async function handleDeliveryJob(deps: DeliveryDeps, job: DeliveryJob): Promise<void> {
  try {
    await deliver(deps, job);
  } catch (err) {
    if (err instanceof AppError) throw err;
    // PostgreSQL or Redis unreachable (or a bug): not the endpoint's fault; no attempt is used up.
    const delayMs = backoffDelayMs(job.attempt, { baseMs: 200, maxMs: INFRA_RETRY_MAX_MS });
    throw new RetryJobError("infrastructure_unavailable", delayMs, { cause: err });
  }
}

async function deliver(deps: DeliveryDeps, job: DeliveryJob): Promise<void> {
  const d = await claimDelivery(deps.sql, job.delivery_id, job.id, deps.leaseMs);
  if (!d) return; // delivered, dead, or another chain holds it
  const log = deps.log.child({ correlation_id: d.correlation_id, delivery_id: d.id, job_id: job.id });
  if (d.wait_ms > 0) throw new RetryJobError("not_due", Math.ceil(d.wait_ms));
  const endpoint = findEndpoint(deps.directory, d.client, d.endpoint_url);
  const signers = deps.signers.get(d.client) ?? [];
  if (!endpoint || signers.length === 0) {
    const error = endpoint ? "no signing secret for the client" : "endpoint no longer configured";
    await markDead(deps.sql, d.id, job.id, { statusCode: null, error }, false);
    log.error({ endpoint: d.endpoint_url, error }, "webhook delivery dead");
    throw new DeliveryGaveUpError(error);
  }
  const holder = job.id;
  if (
    !(await acquireEndpointSlot(
      deps.redis,
      endpoint.url,
      endpoint.maxInFlight,
      holder,
      deps.timeoutMs + 5000,
    ))
  ) {
    const wait = Math.round(deps.slotWaitMs / 2 + Math.random() * deps.slotWaitMs);
    await deferDelivery(deps.sql, d.id, job.id, wait, deps.leaseMs);
    throw new RetryJobError("endpoint_busy", wait);
  }
  let result: SendResult;
  try {
    const body = JSON.stringify(d.payload);
    result = await sendWebhook({
      url: endpoint.url,
      headers: signedHeaders(d.id, new Date(), body, signers),
      body,
      timeoutMs: deps.timeoutMs,
      maxResponseBytes: deps.maxResponseBytes,
      allowPrivate: deps.allowPrivate,
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
      ...(deps.ca ? { ca: deps.ca } : {}),
    });
  } finally {
    await releaseEndpointSlot(deps.redis, endpoint.url, holder).catch(() => {});
  }
  await settle(deps, log, job, d, result);
}

async function settle(
  deps: DeliveryDeps,
  log: Logger,
  job: DeliveryJob,
  d: ClaimedDelivery,
  result: SendResult,
): Promise<void> {
  const fields = { endpoint: d.endpoint_url, event_type: d.event_type, attempt: d.attempts + 1 };
  if (result.kind === "answered" && result.status >= 200 && result.status < 300) {
    await markDelivered(deps.sql, d.id, job.id, { statusCode: result.status, error: null });
    log.info({ ...fields, status_code: result.status }, "webhook delivered");
    return;
  }
  const outcome =
    result.kind === "answered"
      ? { statusCode: result.status, error: describeAnswer(result.status, result.body) }
      : { statusCode: null, error: result.reason.slice(0, 500) };
  if (result.kind === "refused") {
    await markDead(deps.sql, d.id, job.id, outcome, false);
    log.error({ ...fields, error: outcome.error }, "webhook refused: nothing sent");
    throw new DeliveryGaveUpError(`refused: ${outcome.error}`);
  }
  const delayMs = backoffDelayMs(d.attempts, deps.backoff);
  if (d.age_ms + delayMs > deps.horizonMs) {
    await markDead(deps.sql, d.id, job.id, outcome, true);
    log.error({ ...fields, error: outcome.error }, "webhook delivery dead: retry horizon reached");
    throw new DeliveryGaveUpError(`gave up after ${d.attempts + 1} attempts: ${outcome.error}`);
  }
  const held = await recordFailedAttempt(deps.sql, d.id, job.id, outcome, delayMs, deps.leaseMs);
  if (!held) return log.warn(fields, "delivery given to another job meanwhile; this one stops");
  log.warn({ ...fields, error: outcome.error, delay_ms: delayMs }, "webhook attempt failed; will retry");
  throw new RetryJobError(`attempt failed: ${outcome.error}`, delayMs);
}

/** What is kept of a failed answer: the status and the start of the body, on one line. */
function describeAnswer(status: number, body: string): string {
  const text = body
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a receiver's answer is shown on one line
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .trim()
    .slice(0, 200);
  const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
  return `HTTP ${status}${redirect}${text ? `: ${text}` : ""}`;
}
