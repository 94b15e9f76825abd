import { createHash, timingSafeEqual } from "node:crypto";

/** One configured caller: its name is stored on every request it makes. */
export interface ApiClient {
  name: string;
  /** sha256 of the secret; the secret itself is not kept in memory after parsing. */
  digest: Buffer;
}

const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * Parses `API_TOKENS`: comma-separated `client:secret` pairs, or `client:sha256:<hex>` so the
 * secret never has to sit in the environment. Throws naming the bad entry's position, never its
 * content (it is a secret).
 */
export function parseApiTokens(spec: string, opts: { minSecretLength: number }): ApiClient[] {
  const clients: ApiClient[] = [];
  const entries = spec
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const sep = entry.indexOf(":");
    const name = sep > 0 ? entry.slice(0, sep) : "";
    const secret = sep > 0 ? entry.slice(sep + 1) : "";
    if (!CLIENT_NAME.test(name)) throw new Error(`entry ${i + 1}: client name must match ${CLIENT_NAME}`);
    if (clients.some((c) => c.name === name)) throw new Error(`entry ${i + 1}: client ${name} appears twice`);
    const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(secret);
    if (hashed?.[1]) {
      clients.push({ name, digest: Buffer.from(hashed[1], "hex") });
      return;
    }
    if (secret.length < opts.minSecretLength) {
      throw new Error(`entry ${i + 1} (${name}): secret shorter than ${opts.minSecretLength} characters`);
    }
    clients.push({ name, digest: sha256(secret) });
  });
  if (clients.length === 0) throw new Error("no client tokens given");
  return clients;
}

/**
 * Finds the client whose secret is `token`. Compares sha256 digests (equal length, so the
 * comparison time says nothing about the secret's length) against every client without
 * stopping early.
 */
export function authenticateToken(clients: readonly ApiClient[], token: string): ApiClient | undefined {
  const presented = sha256(token);
  let found: ApiClient | undefined;
  for (const c of clients) if (timingSafeEqual(presented, c.digest) && !found) found = c;
  return found;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other shape. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([\x21-\x7e]{1,512})[ ]*$/i.exec(header);
  return m?.[1];
}
