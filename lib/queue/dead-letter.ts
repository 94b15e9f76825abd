import type { Redis } from "ioredis";
import { asInteger, queueScripts, ScriptCode } from "./commands.ts";
import { deadEntry } from "./dead-entry.ts";
import { queueKeys } from "./keys.ts";

export interface DeadLetterArgs {
  provider: string;
  workerId: string;
  /** The job exactly as claimed (it may not even be JSON). */
  raw: string;
  reason: string;
  /** When it died, ms. */
  now: number;
}

/**
 * Moves a claimed job to `queue:<p>:dead` with the reason and time, removing it from the
 * processing list in the same script. False when the worker no longer held the job.
 */
export async function deadLetter(redis: Redis, args: DeadLetterArgs): Promise<boolean> {
  const keys = queueKeys(args.provider);
  const entry = deadEntry(args.raw, args.reason, args.now, args.workerId);
  const code = asInteger(
    await queueScripts(redis).qDeadLetter(keys.processing(args.workerId), keys.dead, args.raw, entry),
  );
  return code !== ScriptCode.NotHeld;
}
