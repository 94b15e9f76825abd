import type { Redis } from "ioredis";
import { asStrings, queueScripts } from "./commands.ts";
import { queueKeys, REVOCATION_DEAD_KEY, REVOCATION_SCHEDULE_KEY } from "./keys.ts";

/** Due retries (Redis clock): `queue:<p>:delayed` → `queue:<p>`, in one atomic script; returns them. */
export async function promoteRetries(redis: Redis, provider: string, limit: number): Promise<string[]> {
  const keys = queueKeys(provider);
  return asStrings(await queueScripts(redis).qPromoteDue(keys.delayed, keys.queue, limit));
}

export interface RoutedJob {
  job: string;
  /** The provider whose queue got it, or null when it went to `schedule:revocations:dead`. */
  provider: string | null;
}

/**
 * Due revocations: `schedule:revocations` → `queue:<provider>` by each job's provider field, in one
 * atomic script. `now` is the database clock (the one expiries are set by; docs/revocation.md). `providers` must list every provider a job can name; a job naming another one
 * (or not JSON) goes to `schedule:revocations:dead` rather than blocking the schedule.
 */
export async function promoteRevocations(
  redis: Redis,
  providers: readonly string[],
  now: number,
  limit: number,
): Promise<RoutedJob[]> {
  const keys = [REVOCATION_SCHEDULE_KEY, REVOCATION_DEAD_KEY, ...providers.map((p) => queueKeys(p).queue)];
  const flat = asStrings(
    await queueScripts(redis).qRouteDue(keys.length, ...keys, now, limit, now, ...providers),
  );
  const out: RoutedJob[] = [];
  // Stryker disable next-line EqualityOperator: route-due.lua returns pairs, so the list's length is even and i + 1 = length never occurs
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ job: flat[i]!, provider: flat[i + 1] || null });
  return out;
}
