import type { Db, Sql } from "./connect.ts";

export type RequestStatus = "PENDING" | "PROCESSING" | "SUCCESS" | "FAILED";
export type RevocationStatus = "SCHEDULED" | "REVOKED" | "FAILED" | "SKIPPED";

/** A `requests` row as the code sees it. */
export interface RequestRow {
  correlation_id: string;
  status: RequestStatus;
  cloud_provider: "aws" | "azure";
  action: "grant" | "revoke";
  client: string;
  request_payload: unknown;
  request_hash: string;
  idempotency_key: string | null;
  access_key: string;
  principal: string;
  ticket: string | null;
  requested_by: string | null;
  received_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  error_details: unknown;
  attempts: number;
  expires_at: Date | null;
  revocation_status: RevocationStatus | null;
  revoked_at: Date | null;
  revocation_error: unknown;
  provider_handle: unknown;
  /** When the access must end: expires_at, or earlier (early revoke, a failed grant's compensation). */
  revoke_at: Date | null;
  /** Decided before the first cloud write: true = the access was there already; null = not yet. */
  pre_existing: boolean | null;
  /** The job chain that may act on the row, and until when. */
  lease_job: string | null;
  lease_until: Date | null;
  requeues: number;
  revocation_attempts: number;
  /** The expiry first asked for, when an extension moved expires_at; null while never extended. */
  original_expires_at: Date | null;
  /** Who ended the grant before its expiry ({client, role, at, how}); null otherwise. */
  ended_by: EndedBy | null;
}

/** Who ended a grant early, and how (migrations/0006_webhooks.sql). */
export interface EndedBy {
  client: string;
  role?: string;
  /** When it was asked (ISO 8601). */
  at: string;
  /** early_revoke: POST /requests/{id}/revoke; revoke_request: a request with "action": "revoke". */
  how: "early_revoke" | "revoke_request";
  /** The revoke request that ended it (how = revoke_request). */
  request?: string;
}

export interface NewRequest {
  correlationId: string;
  provider: "aws" | "azure";
  action: "grant" | "revoke";
  client: string;
  payload: Record<string, unknown>;
  requestHash: string;
  idempotencyKey: string | null;
  accessKey: string;
  principal: string;
  ticket: string | null;
  requestedBy: string | null;
  /** An absolute expiry the caller gave (expires_at). */
  expiresAt: Date | null;
  /** Or a duration: the expiry is then counted on the database clock from the insert. */
  durationMs: number | null;
}

export type InsertResult =
  | {
      inserted: true;
      correlationId: string;
      /** The database's clock at the insert (now()): what an undo's fence is counted from. */
      insertedAt: Date;
    }
  | { inserted: false; correlationId: string; requestHash: string; status: RequestStatus };

/**
 * Inserts a PENDING request and its RECEIVED event (recording the client that asked, for the
 * audit trail) in one statement (one round trip, atomic). A duration becomes an expiry on the
 * database's clock, the one every expiry decision is taken by (docs/revocation.md), not on the
 * API host's. With an idempotency key already used by this client, inserts nothing and returns
 * the first request's id, hash and current status so the caller can tell a retry from a
 * conflicting reuse and report where the first one is now.
 */
export async function insertRequest(sql: Db, r: NewRequest): Promise<InsertResult> {
  const rows = await sql<{ correlation_id: string; inserted_at: Date }[]>`
    WITH ins AS (
      INSERT INTO requests (correlation_id, cloud_provider, action, client, request_payload, request_hash,
                            idempotency_key, access_key, principal, ticket, requested_by, expires_at, revoke_at)
      SELECT ${r.correlationId}, ${r.provider}, ${r.action}, ${r.client}, ${sql.json(r.payload as never)},
             ${r.requestHash}, ${r.idempotencyKey}, ${r.accessKey}, ${r.principal}, ${r.ticket},
             ${r.requestedBy}, e.at, e.at
      FROM (SELECT CASE WHEN ${r.durationMs}::float8 IS NULL THEN ${r.expiresAt}::timestamptz
                        ELSE now() + ${r.durationMs}::float8 * interval '1 millisecond' END AS at) e
      ON CONFLICT (client, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING correlation_id
    ), ev AS (
      INSERT INTO request_events (correlation_id, kind, to_status, detail)
      SELECT correlation_id, 'RECEIVED', 'PENDING', ${sql.json({ by: r.client })} FROM ins
    )
    SELECT correlation_id, now() AS inserted_at FROM ins`;
  if (rows[0])
    return { inserted: true, correlationId: rows[0].correlation_id, insertedAt: rows[0].inserted_at };
  const [first] = await sql<{ correlation_id: string; request_hash: string; status: RequestStatus }[]>`
    SELECT correlation_id, request_hash, status FROM requests
    WHERE client = ${r.client} AND idempotency_key = ${r.idempotencyKey}`;
  if (!first) throw new Error("idempotency conflict without a row: the first request was removed meanwhile");
  return {
    inserted: false,
    correlationId: first.correlation_id,
    requestHash: first.request_hash,
    status: first.status,
  };
}

/**
 * Undoes an insert whose job could not be queued, so a 503 means "nothing happened" and the
 * caller's retry cannot double the grant. Only a still-PENDING row is removed, and only while the
 * database's clock is before `fence`, checked once the row is locked (a DELETE waiting behind
 * another holder's lock would not look at its WHERE again): an undo the caller stopped waiting
 * for, delayed on the wire or behind a lock, cannot land after the caller answered 202 because
 * the row stood (see requestStillStored).
 */
export async function deleteUnqueuedRequest(sql: Sql, correlationId: string, fence: Date): Promise<boolean> {
  return await sql.begin(async (tx) => {
    if (!(await requestStillStored(tx, correlationId))) return false;
    const rows = await tx`DELETE FROM requests
                          WHERE correlation_id = ${correlationId} AND status = 'PENDING'
                            AND clock_timestamp() < ${fence}::timestamptz
                          RETURNING 1`;
    return rows.length > 0;
  });
}

/**
 * After an undo whose outcome is unknown (its answer lost or late): is the row still there? FOR
 * UPDATE waits for a DELETE that already holds the row to commit or roll back, and one that
 * reaches it later finds its fence passed, so the answer is final.
 */
export async function requestStillStored(sql: Db, correlationId: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM requests WHERE correlation_id = ${correlationId} FOR UPDATE`;
  return rows.length > 0;
}

/**
 * One request by id. With `visibleTo` (lib/auth/authorize.ts visibilityFilter) only a request of
 * that client is found: another client's looks exactly like an unknown id, in the same one query.
 */
export async function findRequest(
  sql: Db,
  correlationId: string,
  visibleTo: { client: string } | null = null,
): Promise<RequestRow | undefined> {
  const [row] = await sql<RequestRow[]>`
    SELECT * FROM requests WHERE correlation_id = ${correlationId}
    ${visibleTo ? sql`AND client = ${visibleTo.client}` : sql``}`;
  return row;
}

export type EarlyRevokeResult =
  | { ok: true; row: RequestRow }
  | { ok: false; reason: "not_found" }
  | { ok: false; reason: "not_a_grant" | "not_active"; row: RequestRow };

/**
 * Brings a grant's end (revoke_at) forward to now, never later, so the ordinary revocation path
 * takes the access away: at once for an active grant; for one not yet applied, the worker refuses
 * it as expired or revokes it right after applying. expires_at keeps what was asked for.
 */
export async function expireGrantNow(
  sql: Sql,
  correlationId: string,
  by: { client: string; role: string },
): Promise<EarlyRevokeResult> {
  return await sql.begin(async (tx) => {
    const [row] = await tx<
      RequestRow[]
    >`SELECT * FROM requests WHERE correlation_id = ${correlationId} FOR UPDATE`;
    if (!row) return { ok: false, reason: "not_found" } as const;
    if (row.action !== "grant") return { ok: false, reason: "not_a_grant", row } as const;
    const active =
      row.status === "PENDING" ||
      row.status === "PROCESSING" ||
      (row.status === "SUCCESS" && row.revocation_status === "SCHEDULED");
    if (!active) return { ok: false, reason: "not_active", row } as const;
    // The first end asked for stands: a second early revoke moves nothing and names nobody new.
    const [updated] = await tx<RequestRow[]>`
      UPDATE requests SET revoke_at = least(revoke_at, now()), updated_at = now(),
             ended_by = coalesce(ended_by, jsonb_build_object('client', ${by.client}::text, 'role', ${by.role}::text,
                                 'at', webhook_iso(now()), 'how', 'early_revoke'))
      WHERE correlation_id = ${correlationId} RETURNING *`;
    await tx`INSERT INTO request_events (correlation_id, kind, detail)
             VALUES (${correlationId}, 'REVOKE_REQUESTED', ${tx.json({ by: by.client, role: by.role })})`;
    return { ok: true, row: updated ?? row } as const;
  });
}
