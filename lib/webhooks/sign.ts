import type { Webhook } from "standardwebhooks";

/**
 * The Standard Webhooks headers of one attempt: `webhook-id` (the delivery's id, the same on
 * every attempt and redelivery), `webhook-timestamp` (this attempt, Unix seconds) and
 * `webhook-signature`, one `v1,<base64 HMAC-SHA256>` per signing secret, space-separated, so
 * during a rotation a receiver holding either secret verifies. The signing is standardwebhooks'.
 */
export function signedHeaders(
  msgId: string,
  at: Date,
  body: string,
  signers: readonly Webhook[],
): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "csecbridge-webhooks/1",
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signers.map((s) => s.sign(msgId, at, body)).join(" "),
  };
}
