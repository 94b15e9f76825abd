import { Counter, Histogram } from "prom-client";
import { type ProviderClient, ProviderError } from "../providers/types.ts";
import { boundedLabel } from "./bounded-label.ts";
import { BUCKETS, type Registry } from "./registry.ts";

type Operation = "canonical" | "inspect" | "grant" | "revoke";

/**
 * Wraps a cloud client so every call is measured, without the worker code knowing:
 * csecbridge_cloud_call_duration_seconds{provider, operation, outcome} (ok | error) and
 * csecbridge_cloud_call_errors_total{provider, operation, code, retryable}. `code` is the
 * cloud's own error code (NoSuchEntity, Throttling, PrincipalNotFound, ...) or the socket error,
 * bounded to the first 50 distinct codes per process ("other" after that).
 */
export function instrumentProvider(client: ProviderClient, registry: Registry): ProviderClient {
  const duration = new Histogram({
    name: "csecbridge_cloud_call_duration_seconds",
    help: "Time of one cloud operation (SDK retries and paging included), by outcome.",
    labelNames: ["provider", "operation", "outcome"],
    buckets: BUCKETS.call,
    registers: [registry],
  });
  const errors = new Counter({
    name: "csecbridge_cloud_call_errors_total",
    help: "Failed cloud operations by the cloud's error code and whether it is worth retrying.",
    labelNames: ["provider", "operation", "code", "retryable"],
    registers: [registry],
  });
  const code = boundedLabel(50);
  const provider = client.provider;
  const timed = async <T>(operation: Operation, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await call();
      duration.observe({ provider, operation, outcome: "ok" }, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      duration.observe({ provider, operation, outcome: "error" }, (performance.now() - started) / 1000);
      const classified = err instanceof ProviderError;
      errors.inc({
        provider,
        operation,
        code: classified ? code(err.providerCode) : "unclassified",
        retryable: classified ? String(err.retryable) : "unknown",
      });
      throw err;
    }
  };
  for (const operation of ["canonical", "inspect", "grant", "revoke"] as const) {
    duration.zero({ provider, operation, outcome: "ok" });
  }
  return {
    provider,
    attributable: client.attributable,
    canonical: (payload) => timed("canonical", () => client.canonical(payload)),
    inspect: (payload, ctx, purpose) => timed("inspect", () => client.inspect(payload, ctx, purpose)),
    grant: (payload, ctx) => timed("grant", () => client.grant(payload, ctx)),
    revoke: (payload, ctx) => timed("revoke", () => client.revoke(payload, ctx)),
  };
}
