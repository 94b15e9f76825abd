import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { authenticateToken, bearerToken, parseApiTokens, secretsPerClient } from "./api-tokens.ts";

const opts = { minSecretLength: 8 };
const hex = (s: string) => createHash("sha256").update(s).digest("hex");

function parseError(spec: string): string {
  try {
    parseApiTokens(spec, opts);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected parseApiTokens to throw");
}

describe("parseApiTokens and authenticateToken", () => {
  test("rotation: a client listed with several secrets accepts each of them", () => {
    const clients = parseApiTokens(
      `alice:old-secret-1,alice:new-secret-2,bob:sha256:${hex("bob-secret-3")}`,
      opts,
    );
    expect(authenticateToken(clients, "old-secret-1")?.name).toBe("alice");
    expect(authenticateToken(clients, "new-secret-2")?.name).toBe("alice");
    expect(authenticateToken(clients, "bob-secret-3")?.name).toBe("bob");
    expect(authenticateToken(clients, "retired-secret")).toBeUndefined();
    expect(secretsPerClient(clients)).toEqual({ alice: 2, bob: 1 });
  });

  test("a plain secret and a hash may be mixed for one client", () => {
    const clients = parseApiTokens(`alice:plain-secret-1, alice:sha256:${hex("hashed-secret-2")}`, opts);
    expect(authenticateToken(clients, "plain-secret-1")?.name).toBe("alice");
    expect(authenticateToken(clients, "hashed-secret-2")?.name).toBe("alice");
  });

  test("the same secret twice is refused, for one client or two, without echoing it", () => {
    for (const spec of [
      "alice:same-secret-1,alice:same-secret-1",
      "alice:same-secret-1,bob:same-secret-1",
      `alice:same-secret-1,bob:sha256:${hex("same-secret-1")}`,
    ]) {
      const message = parseError(spec);
      expect(message).toContain("entries 1 and 2");
      expect(message).not.toContain("same-secret-1");
    }
  });

  test("bad entries are named by position, never by content", () => {
    expect(parseError("alice:short")).toContain("entry 1 (alice): secret shorter than 8");
    expect(parseError("ok:long-enough-1,:no-name-secret")).toContain("entry 2");
    expect(parseError("bad name:long-enough-1")).toContain("entry 1");
    expect(parseError(" , ")).toBe("no client tokens given");
    expect(parseError("alice:short")).not.toContain("short,");
    // No colon at all is a missing name, not a name with an empty secret.
    expect(parseError("alicewithoutacolon")).toContain("entry 1: client name must match");
  });

  test("a secret exactly the minimum length is accepted", () => {
    expect(authenticateToken(parseApiTokens("alice:12345678", opts), "12345678")?.name).toBe("alice");
  });

  test("only a whole `sha256:<64 hex>` secret is a digest; anything around it is a plain secret", () => {
    const h = hex("hashed-secret-1");
    for (const secret of [`x-sha256:${h}`, `sha256:${h}0`]) {
      const clients = parseApiTokens(`alice:${secret}`, opts);
      expect(authenticateToken(clients, secret)?.name).toBe("alice");
      expect(authenticateToken(clients, "hashed-secret-1")).toBeUndefined();
    }
  });

  test("the whole digest is compared: one differing byte anywhere is a different secret", () => {
    const token = "the-real-secret-0123";
    const digest = createHash("sha256").update(token).digest();
    for (const at of [0, 15, 31]) {
      const other = Buffer.from(digest);
      other[at] = (other[at] ?? 0) ^ 0x01;
      expect(authenticateToken([{ name: "x", digest: other }], token)).toBeUndefined();
    }
    // A digest that is only a prefix of the real one never matches either.
    expect(authenticateToken([{ name: "x", digest: digest.subarray(0, 16) }], token)).toBeUndefined();
    expect(authenticateToken([{ name: "x", digest }], token)?.name).toBe("x");
  });

  test("bearerToken reads only the Bearer scheme", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer ")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    // The whole header must be the scheme and one token.
    expect(bearerToken("xBearer abc")).toBeUndefined();
    expect(bearerToken("Bearer abc def")).toBeUndefined();
  });
});
