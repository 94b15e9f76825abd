import type { z } from "zod";
import { type Job, jobSchema, type QueueJob } from "./job.ts";

export type ParsedJob<T extends QueueJob = Job> = { ok: true; job: T } | { ok: false; reason: string };

/** A parser of one queue's jobs; the consumer dead-letters what it refuses. */
export type JobParser<T extends QueueJob = Job> = (raw: string) => ParsedJob<T>;

/** A claimed string as a Job, or why it is not one (a job that cannot be parsed is dead-lettered at once). */
export function parseJob(raw: string): ParsedJob {
  return parseWith(jobSchema, raw);
}

/** `raw` as a job of `schema`, or why not. */
export function parseWith<T extends QueueJob>(schema: z.ZodType<T>, raw: string): ParsedJob<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "unparsable: not JSON" };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, job: result.data };
  const paths = result.error.issues.map((i) => i.path.join(".") || "(job)");
  return { ok: false, reason: `unparsable: invalid job at ${[...new Set(paths)].join(", ")}` };
}
