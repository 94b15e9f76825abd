import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Sql } from "../db/connect.ts";
import {
  deleteUnqueuedRequest,
  insertRequest,
  type RequestStatus,
  requestStillStored,
} from "../db/requests.ts";
import { DependencyUnavailableError, IdempotencyConflictError } from "../errors/http-errors.ts";
import { guarded, guardedRedis } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { accessKeyOf } from "../providers/access-key.ts";
import { enqueue } from "../queue/enqueue.ts";
import { newJob } from "../queue/job.ts";
import { isRedisReady } from "../redis/connect.ts";
import { type ParsedRequest, principalOf } from "../schemas/request.ts";
import { requestHash } from "./request-hash.ts";

export interface SubmitDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  now: () => Date;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

export interface SubmitResult {
  correlationId: string;
  /** True when an Idempotency-Key matched an earlier identical request: nothing new was written. */
  replayed: boolean;
  /** The request's status now: PENDING when new, wherever the first one has got to on a replay. */
  status: RequestStatus;
}

/**
 * The write path of POST /api/v1/requests, after authentication, validation and guardrails:
 * INSERT (PENDING) → LPUSH the job. A job is never queued without its row. When the push fails
 * (or its answer is lost) the row is removed again, so a 503 means "nothing happened"; when it
 * cannot be removed — a worker already took the job, or PostgreSQL is unreachable after the
 * commit — the request will be carried out (by that worker, or by the reconciler from the row),
 * and the caller is told so: 202.
 */
export async function submitRequest(
  deps: SubmitDeps,
  client: string,
  parsed: ParsedRequest,
  idempotencyKey: string | null,
): Promise<SubmitResult> {
  const { sql, redis, log } = deps;
  // Fail before writing anything when the broker is known to be down.
  if (!isRedisReady(redis)) throw new DependencyUnavailableError("redis");

  const { payload, expiresAt, durationMs } = parsed;
  const hash = requestHash(payload);
  const correlationId = randomUUID();
  const result = await guarded("postgres", deps.dbTimeoutMs, () =>
    insertRequest(sql, {
      correlationId,
      provider: payload.provider,
      action: payload.action,
      client,
      payload: payload as Record<string, unknown>,
      requestHash: hash,
      idempotencyKey,
      accessKey: accessKeyOf(payload),
      principal: principalOf(payload),
      ticket: payload.ticket ?? null,
      requestedBy: payload.requested_by ?? null,
      expiresAt: durationMs === null ? expiresAt : null,
      durationMs,
    }),
  );
  if (!result.inserted) {
    if (result.requestHash !== hash) {
      throw new IdempotencyConflictError("Idempotency-Key was already used with a different body");
    }
    return { correlationId: result.correlationId, replayed: true, status: result.status };
  }

  const insertedAt = performance.now();
  const job = newJob(
    { correlation_id: correlationId, provider: payload.provider, kind: payload.action, request: payload },
    deps.now().getTime(),
  );
  try {
    await guardedRedis(redis, deps.redisTimeoutMs, () => enqueue(redis, job));
  } catch (err) {
    const removed = await undoInsert(deps, correlationId, result.insertedAt, insertedAt);
    log.warn(
      { correlation_id: correlationId, err, row_removed: removed ?? "unknown" },
      "enqueue failed after insert",
    );
    // Removed: nothing happened, say so. Not removed (a worker moved the row, so the push landed)
    // or unknown (the committed row stands and the reconciler will queue it): it will happen.
    if (removed === true) throw err;
  }
  return { correlationId, replayed: false, status: "PENDING" };
}

/**
 * Removes the row of a job that could not be queued: true when removed, false when it stays (a
 * worker took the job: the push landed), undefined when PostgreSQL cannot tell. The DELETE is
 * fenced at the moment this gives up waiting for it (the insert's database time plus the time
 * since, measured here, plus the timeout), so a late one cannot land; when its answer is lost,
 * one more look tells whether it did.
 */
async function undoInsert(
  deps: SubmitDeps,
  correlationId: string,
  insertedAtDb: Date,
  insertedAt: number,
): Promise<boolean | undefined> {
  const { sql, dbTimeoutMs } = deps;
  const fence = new Date(insertedAtDb.getTime() + (performance.now() - insertedAt) + dbTimeoutMs);
  try {
    return await guarded("postgres", dbTimeoutMs, () => deleteUnqueuedRequest(sql, correlationId, fence));
  } catch {
    const stored = await guarded("postgres", dbTimeoutMs, () => requestStillStored(sql, correlationId)).catch(
      () => undefined,
    );
    return stored === undefined ? undefined : !stored;
  }
}
