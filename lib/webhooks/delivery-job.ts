import { z } from "zod";
import { parseWith } from "../queue/parse-job.ts";

/** The queue deliveries go through: `queue:webhooks` and its `:processing:`, `:workers`, `:delayed`, `:dead` keys. */
export const WEBHOOK_QUEUE = "webhooks";

/**
 * A delivery job: names one webhook_deliveries row, whose lease its id must hold to send. It
 * carries no payload and no secret: PostgreSQL holds the body, the policy file the endpoint.
 */
export const deliveryJobSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).max(64),
  provider: z.literal(WEBHOOK_QUEUE),
  kind: z.literal("deliver"),
  correlation_id: z.uuid(),
  delivery_id: z.uuid(),
  attempt: z.number().int().min(0),
  enqueued_at: z.number().int(),
});

export type DeliveryJob = z.infer<typeof deliveryJobSchema>;

export const parseDeliveryJob = (raw: string) => parseWith(deliveryJobSchema, raw);

export interface DeliveryRef {
  id: string;
  correlation_id: string;
  /** The job chain the row's lease was given to. */
  lease_job: string;
}

export function deliveryJob(ref: DeliveryRef, now: number): DeliveryJob {
  return {
    v: 1,
    id: ref.lease_job,
    provider: WEBHOOK_QUEUE,
    kind: "deliver",
    correlation_id: ref.correlation_id,
    delivery_id: ref.id,
    attempt: 0,
    enqueued_at: now,
  };
}
