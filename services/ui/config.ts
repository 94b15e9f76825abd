import { z } from "zod";
import { baseEnv, metricsEnv, parseEnv } from "../../lib/config/env.ts";

export const uiEnv = {
  ...baseEnv,
  ...metricsEnv,
  PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** Where /api/* is passed on to: the API service. */
  API_URL: z
    .string()
    .regex(/^https?:\/\/[^/?#]+\/?$/, "must be an http(s) origin such as http://127.0.0.1:8080")
    .default("http://127.0.0.1:8080"),
};

export type UiConfig = ReturnType<typeof loadUiConfig>;

export const loadUiConfig = (env: Record<string, string | undefined>) => parseEnv(uiEnv, env);
