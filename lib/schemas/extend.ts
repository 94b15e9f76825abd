import { z } from "zod";
import { isoDurationText, rfc3339 } from "./request.ts";

/**
 * The body of POST /api/v1/requests/{id}/extend: the grant's new end as an instant
 * (`expires_at`), or how much later than its current end it should be (`duration`, ISO 8601,
 * e.g. PT1H: "one more hour"). Exactly one of them.
 */
export const extendBodySchema = z
  .strictObject({
    expires_at: rfc3339.optional(),
    duration: isoDurationText.optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.expires_at === undefined) === (b.duration === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["expires_at"],
        message: "give expires_at or duration, exactly one",
      });
    }
  });

export type ExtendBody = z.infer<typeof extendBodySchema>;

/** The answer of an extension (200): where the grant's end is now, and where it was. */
export const extendResponseSchema = z.object({
  correlation_id: z.uuid(),
  /** The grant's end now (= revoke_at: the revocation is scheduled for it). */
  expires_at: z.string(),
  revoke_at: z.string(),
  /** The end before this extension. */
  previous_end: z.string(),
  /** The expiry first asked for, before any extension. */
  original_expires_at: z.string(),
});

export type ExtendResponse = z.infer<typeof extendResponseSchema>;
