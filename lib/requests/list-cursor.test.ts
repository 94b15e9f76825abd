import { describe, expect, test } from "bun:test";
import { InvalidCursorError } from "../errors/http-errors.ts";
import { decodeCursor, encodeCursor, type ListPosition } from "./list-cursor.ts";

// The cursor is the only client input that reaches the list's keyset comparison as a timestamptz
// and a uuid: whatever decodeCursor lets through, PostgreSQL must be able to read, or the list
// answers 500 instead of 400.
const POSITION: ListPosition = {
  receivedAt: "2026-11-30T10:00:00.123456Z",
  correlationId: "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11",
};
const ID = POSITION.correlationId;

/** A cursor of any JSON text, as a client could forge it. */
const forge = (json: string) => Buffer.from(json, "utf8").toString("base64url");
const forgeT = (t: string) => forge(JSON.stringify({ v: 1, t, id: ID }));
const forgeId = (id: string) => forge(JSON.stringify({ v: 1, t: POSITION.receivedAt, id }));

function refusal(cursor: string): unknown {
  try {
    decodeCursor(cursor);
  } catch (e) {
    return e;
  }
  return undefined;
}

const expectRefused = (cursor: string) => {
  const e = refusal(cursor);
  expect(e).toBeInstanceOf(InvalidCursorError);
  expect((e as InvalidCursorError).message).toBe("cursor is malformed");
};

describe("encodeCursor", () => {
  test("base64url of the versioned JSON object, and decodeCursor gives the position back", () => {
    const cursor = encodeCursor(POSITION);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))).toEqual({
      v: 1,
      t: POSITION.receivedAt,
      id: ID,
    });
    expect(decodeCursor(cursor)).toEqual(POSITION);
  });
});

describe("decodeCursor", () => {
  test("refuses text outside the base64url alphabet, even around a valid cursor", () => {
    const valid = encodeCursor(POSITION);
    // Buffer's base64url decoder skips characters it does not know: only the pattern refuses these.
    expect(Buffer.from(`!!${valid}`, "base64url").toString("utf8")).toContain(ID);
    for (const cursor of ["", `!!${valid}`, `${valid}!!`, `${valid.slice(0, 8)}.${valid.slice(8)}`]) {
      expectRefused(cursor);
    }
  });

  test("at most 256 characters, even when the JSON inside is valid", () => {
    // JSON allows whitespace: pad the object so its base64url is exactly 256 (192 bytes) or 258
    // (193 bytes; an unpadded base64 length is never 1 more than a multiple of 4) characters long.
    const json = JSON.stringify({ v: 1, t: POSITION.receivedAt, id: ID });
    const padded = (bytes: number) => forge(`${" ".repeat(bytes - json.length)}${json}`);
    expect(padded(192)).toHaveLength(256);
    expect(decodeCursor(padded(192))).toEqual(POSITION);
    expect(padded(193)).toHaveLength(258);
    expectRefused(padded(193));
  });

  test("refuses what is not JSON, and JSON that is not a position", () => {
    for (const json of [
      "{not json",
      "{}",
      "[1,2]",
      JSON.stringify({ v: 2, t: POSITION.receivedAt, id: ID }),
      JSON.stringify({ v: 1, t: POSITION.receivedAt, id: ID, extra: 1 }),
      JSON.stringify({ v: 1, t: POSITION.receivedAt }),
    ]) {
      expectRefused(forge(json));
    }
  });

  test("received_at: UTC with exactly six fractional digits and nothing around it", () => {
    for (const t of [
      "2026-11-30T10:00:00.123Z",
      "2026-11-30T10:00:00.1234567Z",
      "2026-11-30T10:00:00.123456+00:00",
      "2026-11-30 10:00:00.123456Z",
      // Date.parse reads these (an extended year; a NUL ends the string for it), and its
      // round trip agrees on the first 19 characters: only the pattern's anchors refuse them.
      "+010000-01-01T00:00:00.000000Z",
      "-000001-01-01T00:00:00.000000Z",
      `${POSITION.receivedAt}\u0000junk`,
    ]) {
      expectRefused(forgeT(t));
    }
  });

  test("received_at: a real instant, not one JS rolls over or cannot read", () => {
    expect(decodeCursor(forgeT("2028-02-29T23:59:59.999999Z")).receivedAt).toBe(
      "2028-02-29T23:59:59.999999Z",
    );
    for (const t of [
      "2026-02-30T00:00:00.000000Z", // rolls over to March 2nd
      "2026-11-30T24:00:00.000000Z", // rolls over to the next day
      "2026-13-01T00:00:00.000000Z", // NaN
      "2026-11-30T10:00:60.000000Z", // NaN
    ]) {
      expectRefused(forgeT(t));
    }
  });

  test("correlation id: a lower-case UUID and nothing around it", () => {
    for (const id of [`x${ID}`, `${ID}x`, ID.toUpperCase(), ID.slice(1), "nope"]) {
      expectRefused(forgeId(id));
    }
  });
});
