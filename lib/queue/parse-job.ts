import { type Job, jobSchema } from "./job.ts";

export type ParsedJob = { ok: true; job: Job } | { ok: false; reason: string };

/** A claimed string as a Job, or why it is not one (a job that cannot be parsed is dead-lettered at once). */
export function parseJob(raw: string): ParsedJob {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "unparsable: not JSON" };
  }
  const result = jobSchema.safeParse(value);
  if (result.success) return { ok: true, job: result.data };
  const paths = result.error.issues.map((i) => i.path.join(".") || "(job)");
  return { ok: false, reason: `unparsable: invalid job at ${[...new Set(paths)].join(", ")}` };
}
