import { z } from "zod";

/**
 * An entry of `queue:<p>:dead`: the job exactly as it was queued (a string, since it may not be
 * JSON at all), why it died and when. The Lua scripts write the same shape with cjson.
 */
export const deadEntrySchema = z.object({
  job: z.string(),
  reason: z.string(),
  failed_at: z.number(),
  worker_id: z.string().optional(),
});

export type DeadEntry = z.infer<typeof deadEntrySchema>;

/** Reasons can quote an error message; bound them so one bad error cannot bloat Redis. */
const MAX_REASON = 2000;

export function deadEntry(job: string, reason: string, failedAt: number, workerId?: string): string {
  const entry: DeadEntry = { job, reason: reason.slice(0, MAX_REASON), failed_at: failedAt };
  // Stryker disable next-line ConditionalExpression: JSON.stringify leaves out a key whose value is undefined
  if (workerId !== undefined) entry.worker_id = workerId;
  return JSON.stringify(entry);
}

export function parseDeadEntry(text: string): DeadEntry {
  return deadEntrySchema.parse(JSON.parse(text));
}
