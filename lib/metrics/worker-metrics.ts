import { Counter, Histogram } from "prom-client";
import { BUCKETS, type Registry } from "./registry.ts";

export type RevocationOutcome = "REVOKED" | "SKIPPED" | "FAILED";
export type DriftCheckOutcome =
  | "skipped"
  | "in_line"
  | "drift_detected"
  | "drift_unattributed"
  | "drift_missing"
  | "confirmed_gone";

/** What the worker code tells the metrics (lib/worker: one line at each point that matters). */
export interface WorkerMetrics {
  /**
   * A grant's revocation obligation ended; `lateMs` is how long after revoke_at the access was
   * proven removed (REVOKED), on the database clock, the one revoke_at was set by.
   */
  revocationFinished(provider: string, outcome: RevocationOutcome, lateMs: number | null): void;
  /** The drift sweep's look at one access, and what it found. */
  driftChecked(provider: string, outcome: DriftCheckOutcome): void;
}

const OUTCOMES: readonly RevocationOutcome[] = ["REVOKED", "SKIPPED", "FAILED"];
const CHECKS: readonly DriftCheckOutcome[] = [
  "skipped",
  "in_line",
  "drift_detected",
  "drift_unattributed",
  "drift_missing",
  "confirmed_gone",
];

/**
 * csecbridge_revocations_total{provider, outcome}, csecbridge_revocation_lateness_seconds{provider}
 * (how long after revoke_at the access was proven removed: REVOKED only, on the database clock,
 * 0 when early) and csecbridge_drift_checks_total{provider, outcome}.
 */
export function workerMetrics(registry: Registry, providers: readonly string[]): WorkerMetrics {
  const revocations = new Counter({
    name: "csecbridge_revocations_total",
    help: "Revocation obligations ended: REVOKED (access removed), SKIPPED (pre-existing or handed to an overlapping grant), FAILED (permanent error; the drift sweep keeps watching).",
    labelNames: ["provider", "outcome"],
    registers: [registry],
  });
  const lateness = new Histogram({
    name: "csecbridge_revocation_lateness_seconds",
    help: "How long after its revoke_at a revocation removed the access (REVOKED only).",
    labelNames: ["provider"],
    buckets: BUCKETS.lateness,
    registers: [registry],
  });
  const checks = new Counter({
    name: "csecbridge_drift_checks_total",
    help: "Drift sweep checks carried out, by what they found.",
    labelNames: ["provider", "outcome"],
    registers: [registry],
  });
  for (const provider of providers) {
    for (const outcome of OUTCOMES) revocations.inc({ provider, outcome }, 0);
    for (const outcome of CHECKS) checks.inc({ provider, outcome }, 0);
    lateness.zero({ provider });
  }
  return {
    revocationFinished(provider, outcome, lateMs) {
      revocations.inc({ provider, outcome });
      if (outcome === "REVOKED" && lateMs !== null) lateness.observe({ provider }, lateMs / 1000);
    },
    driftChecked(provider, outcome) {
      checks.inc({ provider, outcome });
    },
  };
}
