import { createHash, timingSafeEqual } from "node:crypto";

/**
 * One configured secret of a caller; its name is stored on every request it makes. A client may
 * have several (rotation: add the new secret, move the caller over, remove the old one).
 */
export interface ApiClient {
  name: string;
  /** sha256 of the secret; the secret itself is not kept in memory after parsing. */
  digest: Buffer;
}

const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * Parses `API_TOKENS`: comma-separated `client:secret` pairs, or `client:sha256:<hex>` so the
 * secret never has to sit in the environment. A client may be listed several times, once per
 * secret it currently accepts (`alice:old,alice:new` while rotating). Two entries with the same
 * secret are refused, for one client (a copy-paste slip) or two (which of them is calling?).
 * Throws naming the bad entry's position, never its content (it is a secret).
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
    const hashed = /^sha256:([0-9a-fA-F]{64})$/.exec(secret);
    let digest: Buffer;
    if (hashed?.[1]) digest = Buffer.from(hashed[1], "hex");
    else if (secret.length < opts.minSecretLength) {
      throw new Error(`entry ${i + 1} (${name}): secret shorter than ${opts.minSecretLength} characters`);
    } else digest = sha256(secret);
    const same = clients.findIndex((c) => c.digest.equals(digest));
    if (same >= 0) throw new Error(`entries ${same + 1} and ${i + 1}: the same secret is listed twice`);
    clients.push({ name, digest });
  });
  if (clients.length === 0) throw new Error("no client tokens given");
  return clients;
}

/**
 * Finds the client whose secret is `token`. Compares whole sha256 digests (32 bytes each, so the
 * time says nothing about the secret's length) against every configured secret, without stopping
 * at the first match, so the time does not say which entry matched either.
 */
export function authenticateToken(clients: readonly ApiClient[], token: string): ApiClient | undefined {
  const presented = sha256(token);
  let found: ApiClient | undefined;
  for (const c of clients) {
    // Always the full digest: a prefix comparison would accept any secret sharing its first bytes.
    const equal = c.digest.length === presented.length && timingSafeEqual(presented, c.digest);
    if (equal && !found) found = c;
  }
  return found;
}

/** How many secrets each client has, for the start-up log line (names and counts only). */
export function secretsPerClient(clients: readonly ApiClient[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const c of clients) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
  return Object.fromEntries(counts);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other shape. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([\x21-\x7e]{1,512})[ ]*$/i.exec(header);
  return m?.[1];
}
