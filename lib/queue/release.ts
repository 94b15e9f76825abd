import type { Redis } from "ioredis";
import { asInteger, queueScripts, ScriptCode } from "./commands.ts";
import { queueKeys } from "./keys.ts";

/**
 * Gives back a job claimed but not started (a claim that returned after shutdown began): it goes
 * to the consuming end of the queue, so it is the next one taken. False when no longer held.
 */
export async function release(
  redis: Redis,
  provider: string,
  workerId: string,
  raw: string,
): Promise<boolean> {
  const keys = queueKeys(provider);
  const code = asInteger(await queueScripts(redis).qRelease(keys.processing(workerId), keys.queue, raw));
  return code !== ScriptCode.NotHeld;
}
