import { z } from "zod";
import { baseEnv, parseEnv } from "../../lib/config/env.ts";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from "./sim/azure/index.ts";

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/**
 * The simulator's credentials are dev defaults on purpose: it guards nothing real. Workers get the
 * same values (CLOUDSIM_* → AZURE_* in the dev script and compose file).
 */
export const cloudsimEnv = {
  ...baseEnv,
  /** Loopback by default; a container sets 0.0.0.0 so other services can reach it. */
  CLOUDSIM_HOST: z.string().min(1).default("127.0.0.1"),
  CLOUDSIM_AWS_PORT: port(4566),
  CLOUDSIM_AZURE_PORT: port(4567),
  /** Where the throwaway CA is written for clients (NODE_EXTRA_CA_CERTS or tlsOptions.ca). */
  CLOUDSIM_CA_FILE: z.string().min(1).default(".dev/cloudsim-ca.pem"),
  /** Comma-separated DNS names added to the certificate (e.g. the compose service name). */
  CLOUDSIM_TLS_HOSTNAMES: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  CLOUDSIM_TENANT_ID: z.guid().default(DEFAULT_TENANT_ID),
  CLOUDSIM_CLIENT_ID: z.guid().default(DEFAULT_CLIENT_ID),
  CLOUDSIM_CLIENT_SECRET: z.string().min(1).max(256).default(DEFAULT_CLIENT_SECRET),
  /** Items per ARM list page; small so clients' nextLink handling is always exercised. */
  CLOUDSIM_AZURE_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(2),
  /** A real cloud's manners, for benchmarks and drills: milliseconds added to every call... */
  CLOUDSIM_LATENCY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  /** ...and each cloud's account rate limit, calls per second (0: none), with its burst (0: one second's worth). */
  CLOUDSIM_RATE_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(0),
  CLOUDSIM_RATE_BURST: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

export type CloudsimConfig = ReturnType<typeof loadCloudsimConfig>;

export const loadCloudsimConfig = (env: Record<string, string | undefined>) => parseEnv(cloudsimEnv, env);
