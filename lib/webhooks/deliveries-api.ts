import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { assertMay, type Caller, visibilityFilter } from "../auth/authorize.ts";
import { recordAccess } from "../db/access-log.ts";
import type { Sql } from "../db/connect.ts";
import {
  type DeliveryRow,
  findDelivery,
  type ListedDelivery,
  listDeliveries,
  redeliver,
} from "../db/webhook-deliveries.ts";
import {
  ConflictError,
  DependencyUnavailableError,
  NotFoundError,
  ValidationError,
} from "../errors/http-errors.ts";
import { guarded } from "../http/dependency.ts";
import type { Logger } from "../logging/logger.ts";
import { isRedisReady } from "../redis/connect.ts";
import type { DeliveriesPage, DeliveriesQuery, DeliveryView } from "./api-schemas.ts";
import type { WebhookEventType } from "./event-types.ts";
import { queueDeliveries } from "./queue-deliveries.ts";

export interface DeliveriesDeps {
  sql: Sql;
  redis: Redis;
  log: Logger;
  dbTimeoutMs: number;
  redisTimeoutMs: number;
}

/** How long a redelivery's job holds the row before the reconciler may queue it again. */
const REDELIVER_QUEUE_LEASE_MS = 30_000;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toDeliveryView(r: DeliveryRow): DeliveryView {
  return {
    id: r.id,
    webhook_id: r.id,
    correlation_id: r.correlation_id,
    client: r.client,
    event_type: r.event_type as WebhookEventType,
    endpoint_url: r.endpoint_url,
    status: r.status,
    attempts: r.attempts,
    last_status_code: r.last_status_code,
    last_error: r.last_error,
    last_attempt_at: iso(r.last_attempt_at),
    next_attempt_at: r.status === "pending" ? iso(r.next_attempt_at) : null,
    delivered_at: iso(r.delivered_at),
    created_at: iso(r.created_at) ?? "",
  };
}

/** The position after a row: its created_at to the microsecond (a Date would drop them) and id. */
const encodeCursor = (r: ListedDelivery) => Buffer.from(`${r.cursor_at}|${r.id}`).toString("base64url");

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const CURSOR_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at = "", id = ""] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (!CURSOR_AT.test(at) || !CURSOR_ID.test(id)) {
    throw new ValidationError("invalid cursor", [
      { pointer: "query:cursor", detail: "not a cursor of this list" },
    ]);
  }
  return { at, id };
}

/**
 * GET /api/v1/webhooks/deliveries for `caller`: the deliveries of the requests it may read
 * (a submitter its own, operators and auditors everyone's), newest first. A read that may reveal
 * other clients' deliveries is recorded in access_log first (action list).
 */
export async function listDeliveriesFor(
  deps: DeliveriesDeps,
  caller: Caller,
  q: DeliveriesQuery,
): Promise<DeliveriesPage> {
  assertMay(caller, "read");
  const visibility = visibilityFilter(caller);
  const client = visibility?.client ?? q.client;
  if (visibility && q.client !== undefined && q.client !== visibility.client)
    return { deliveries: [], next_cursor: null };
  const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rows = await guarded("postgres", deps.dbTimeoutMs, () =>
    listDeliveries(deps.sql, {
      correlationId: q.correlation_id,
      status: q.status,
      eventType: q.event_type,
      client,
      before,
      limit: q.limit + 1,
    }),
  );
  const page = rows.slice(0, q.limit);
  if (visibility === null) {
    await guarded("postgres", deps.dbTimeoutMs, () =>
      recordAccess(deps.sql, {
        client: caller.name,
        role: caller.role,
        action: "list",
        correlationId: q.correlation_id ?? null,
        filter: { webhook_deliveries: { ...q, cursor: undefined } },
        resultCount: page.length,
      }),
    );
  }
  const last = page.at(-1);
  return {
    deliveries: page.map(toDeliveryView),
    next_cursor: rows.length > q.limit && last ? encodeCursor(last) : null,
  };
}

/**
 * POST /api/v1/webhooks/deliveries/{id}/redeliver: sends a delivered or dead delivery again, with
 * the same webhook-id (receivers dedupe on it) and a fresh retry horizon. 404 for a delivery the
 * caller cannot see, 409 when it is still pending.
 */
export async function redeliverFor(deps: DeliveriesDeps, caller: Caller, id: string): Promise<DeliveryView> {
  assertMay(caller, "redeliver");
  if (!isRedisReady(deps.redis)) throw new DependencyUnavailableError("redis");
  const visible = await guarded("postgres", deps.dbTimeoutMs, () =>
    findDelivery(deps.sql, id, visibilityFilter(caller)),
  );
  if (!visible) throw new NotFoundError(`no delivery ${id}`);
  const jobId = `m-${randomUUID()}`;
  const row = await guarded("postgres", deps.dbTimeoutMs, () =>
    redeliver(deps.sql, id, jobId, REDELIVER_QUEUE_LEASE_MS),
  );
  if (!row) throw new ConflictError("the delivery is still pending: it will be tried again without asking");
  try {
    await guarded("redis", deps.redisTimeoutMs, () =>
      queueDeliveries(deps.redis, [{ id: row.id, correlation_id: row.correlation_id, lease_job: jobId }]),
    );
  } catch (err) {
    deps.log.warn({ err, delivery_id: id }, "redelivery recorded; its job is left to the reconciler");
  }
  deps.log.info(
    { delivery_id: id, by: caller.name, correlation_id: row.correlation_id },
    "webhook redelivery asked",
  );
  return toDeliveryView(row);
}
