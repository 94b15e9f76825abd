import { z } from "zod";

// Path and header parameters: the routes validate with these, and the OpenAPI document is
// generated from them.

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const correlationIdSchema = z.string().regex(UUID, "correlation id must be a UUID").meta({
  description: "The correlation id POST /api/v1/requests answered",
  example: "5d7f9c2e-3b1a-4c8e-9f60-2a4b6c8d0e1f",
});

export const correlationIdParams = z.object({ id: correlationIdSchema });

export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1-255 printable ASCII characters")
  .meta({
    description:
      "Makes a retried POST safe: the same key and body answer the first correlation id; the same key with another body is a 409",
    example: "CHG-1234-attempt-1",
  });

export const submitHeaders = z.object({ "Idempotency-Key": idempotencyKeySchema.optional() });
