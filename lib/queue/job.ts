import { randomUUID } from "node:crypto";
import { z } from "zod";

/** Version of the job envelope; a consumer dead-letters versions it does not know. */
export const JOB_VERSION = 1;

/**
 * A job is a small versioned JSON object. It carries the request details (as the seed says),
 * but PostgreSQL stays the truth for status: a worker re-reads the row before acting.
 */
export const jobSchema = z.object({
  v: z.literal(JOB_VERSION),
  id: z.string().min(1).max(64),
  correlation_id: z.uuid(),
  provider: z.enum(["aws", "azure"]),
  /** grant or revoke: the request's work or a grant's revocation; check: the drift sweep's look. */
  kind: z.enum(["grant", "revoke", "check"]),
  attempt: z.number().int().min(0),
  enqueued_at: z.number().int(),
  request: z.unknown(),
});

export type Job = z.infer<typeof jobSchema>;

/**
 * What the queue machinery itself reads of any job (provider jobs above, webhook deliveries in
 * lib/webhooks): the queue it belongs to, its id and attempt, and a correlation id for logs. A
 * queue's consumer brings its own parser for the rest (ConsumerOptions.parse).
 */
export interface QueueJob {
  v: number;
  id: string;
  /** The queue's name: `queue:<provider>` (aws, azure, webhooks). */
  provider: string;
  attempt: number;
  correlation_id?: string;
}

export function newJob(fields: Omit<Job, "v" | "id" | "attempt" | "enqueued_at">, now: number): Job {
  return { v: JOB_VERSION, id: randomUUID(), attempt: 0, enqueued_at: now, ...fields };
}
