import { z } from "zod";

/**
 * Fault knobs shared by every simulated cloud. They are applied before a request is handled, so a
 * faulted call never changes simulator state (as with real throttling: the call did not happen).
 */
export interface FaultConfig {
  /** Delay added to every call, in milliseconds (timeouts and slow-cloud drills). */
  latencyMs: number;
  /** Probability (0..1) that a call is throttled. */
  throttleRate: number;
  /** Probability (0..1) that a call fails with a 5xx. */
  errorRate: number;
  /** Fail exactly the next N calls with throttling, then behave again: the deterministic knob for tests. */
  failNext: number;
}

export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  latencyMs: 0,
  throttleRate: 0,
  errorRate: 0,
  failNext: 0,
});

/** What the simulator should answer instead of handling the call; each cloud renders it in its own wire format. */
export type FaultDecision = { kind: "throttle" } | { kind: "server_error" };

/** A mutable holder, so a test or the control endpoint can change faults while a server is running. */
export interface FaultState {
  current(): Readonly<FaultConfig>;
  /** Change some knobs; the values are validated (rates within 0..1, counts and delays non-negative). */
  set(patch: Partial<FaultConfig>): void;
  reset(): void;
}

/** Validates a patch arriving from outside (a control endpoint's JSON body) before it reaches `set`. */
export const faultPatchSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  throttleRate: z.number().min(0).max(1).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  failNext: z.number().int().min(0).max(1_000_000).optional(),
});

export function createFaultState(initial: Partial<FaultConfig> = {}): FaultState {
  let config: FaultConfig = { ...NO_FAULTS, ...faultPatchSchema.parse(initial) };
  return {
    current: () => config,
    set(patch) {
      config = { ...config, ...faultPatchSchema.parse(patch) };
    },
    reset() {
      config = { ...NO_FAULTS };
    },
  };
}

export interface ApplyFaultsOptions {
  /** Source of randomness for the rate knobs; tests pass a fixed function. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits out the configured latency, then decides whether this call fails. `failNext` is consumed
 * first and is deterministic; the rates are rolled only when it is zero.
 */
export async function applyFaults(
  state: FaultState,
  opts: ApplyFaultsOptions = {},
): Promise<FaultDecision | undefined> {
  const { latencyMs } = state.current();
  if (latencyMs > 0) await (opts.sleep ?? Bun.sleep)(latencyMs);
  // Read again after the delay: a test may have changed the knobs meanwhile.
  const config = state.current();
  if (config.failNext > 0) {
    state.set({ failNext: config.failNext - 1 });
    return { kind: "throttle" };
  }
  const random = opts.random ?? Math.random;
  if (config.throttleRate > 0 && random() < config.throttleRate) return { kind: "throttle" };
  if (config.errorRate > 0 && random() < config.errorRate) return { kind: "server_error" };
  return undefined;
}
