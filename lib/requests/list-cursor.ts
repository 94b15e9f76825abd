import { z } from "zod";
import { InvalidCursorError } from "../errors/http-errors.ts";

/**
 * A position in the list, which is ordered newest first by (received_at DESC, correlation_id DESC):
 * the last row of a page. `receivedAt` keeps PostgreSQL's microseconds (a JS Date would drop
 * them, and rows received within one millisecond would then be skipped or shown twice).
 */
export interface ListPosition {
  /** received_at in UTC with six fractional digits: 2026-11-30T10:00:00.123456Z. */
  receivedAt: string;
  correlationId: string;
}

const positionSchema = z.strictObject({
  v: z.literal(1),
  t: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
});

/** Opaque to clients: base64url of a small versioned JSON object. */
export function encodeCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, t: p.receivedAt, id: p.correlationId })).toString("base64url");
}

/** The position a cursor names; InvalidCursorError (400) for anything we did not issue. */
export function decodeCursor(cursor: string): ListPosition {
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(cursor)) throw new InvalidCursorError("cursor is malformed");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    // Not JSON: `value` stays undefined, which the schema below refuses like any other non-position.
  }
  const parsed = positionSchema.safeParse(value);
  if (!parsed.success || !isRealInstant(parsed.data.t)) throw new InvalidCursorError("cursor is malformed");
  return { receivedAt: parsed.data.t, correlationId: parsed.data.id };
}

/** 2026-02-30 matches the pattern and JS rolls it over; PostgreSQL would refuse it (a 500). */
function isRealInstant(t: string): boolean {
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === t.slice(0, 19);
}
