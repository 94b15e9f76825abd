import { z } from "zod";
import { baseEnv, parseEnv } from "../../lib/config/env.ts";

export const sinkEnv = {
  ...baseEnv,
  WEBHOOK_SINK_HOST: z.string().min(1).default("127.0.0.1"),
  WEBHOOK_SINK_PORT: z.coerce.number().int().min(0).max(65535).default(4570),
  /** Comma-separated Standard Webhooks secrets (whsec_...) it verifies with; any one may match. */
  WEBHOOK_SINK_SECRETS: z
    .string()
    .min(1)
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
};

export type SinkConfig = ReturnType<typeof loadSinkConfig>;

export const loadSinkConfig = (env: Record<string, string | undefined>) => parseEnv(sinkEnv, env);
