import { z } from "zod";

/**
 * Fault knobs shared by every simulated cloud. The global ones are applied before a request is
 * handled, so a faulted call never changes simulator state (as with real throttling: the call did
 * not happen). Rules target one action and can also model what real clouds do on a bad day:
 * answer nothing at all (`hang`), or apply the call and lose the reply (`drop_reply`).
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
  /** Per-action faults, checked in order before the global knobs; the first that applies wins. */
  rules: FaultRule[];
  /**
   * The account's request rate limit, calls per second (0: none). Real clouds meter each account
   * (IAM) or tenant/subscription (ARM) with a token bucket and throttle what goes over it; a
   * throttled call did nothing. Every call counts, reads and writes alike.
   */
  ratePerSecond: number;
  /** The bucket's depth: calls that may go at once after a quiet spell (0: one second's worth). */
  burst: number;
}

/** What the simulator counted since it started (or was reset): proof that nobody was throttled. */
export interface FaultStats {
  /** Calls answered with a throttle, for any reason. */
  throttled: number;
  /** Of those, calls over the account's rate limit. */
  rateLimited: number;
}

export type FaultMode = "throttle" | "server_error" | "hang" | "drop_reply";

export interface FaultRule {
  /**
   * The action it targets: an IAM action (`AttachUserPolicy`), an ARM operation id
   * (`RoleAssignments_Create`, `RoleAssignments_Delete`, `RoleAssignments_ListForScope`,
   * `RoleAssignments_Get`, `RoleDefinitions_List`), or `*` for every call.
   */
  action: string;
  mode: FaultMode;
  /** Calls it still applies to; absent: every call while it lasts. */
  count?: number;
  /** How long it lasts from when it was set, ms (a burst); absent: until removed. */
  forMs?: number;
  /** Retry-After (seconds) sent with a throttle. */
  retryAfterSeconds?: number;
  /** Only calls whose parameters have these values (IAM form fields, e.g. {"UserName": "alice"}). */
  match?: Record<string, string>;
  /** Set from forMs when the rule is installed: epoch ms after which it no longer applies. */
  until?: number;
}

export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  latencyMs: 0,
  throttleRate: 0,
  errorRate: 0,
  failNext: 0,
  rules: [],
  ratePerSecond: 0,
  burst: 0,
});

/** What the simulator should do instead of (or after) handling the call; each cloud renders it in its own wire format. */
export type FaultDecision =
  /** `rate`: over the account's rate limit (real IAM then sends no Retry-After; ARM does). */
  | { kind: "throttle"; retryAfterSeconds?: number; rate?: true }
  | { kind: "server_error" }
  /** Never answer (until the client gives up); the call is not applied. */
  | { kind: "hang" }
  /** Apply the call, then never answer: a lost reply. */
  | { kind: "drop_reply" };

/** A mutable holder, so a test or the control endpoint can change faults while a server is running. */
export interface FaultState {
  current(): Readonly<FaultConfig>;
  /** Change some knobs; the values are validated (rates within 0..1, counts and delays non-negative). */
  set(patch: Partial<FaultConfig>): void;
  reset(): void;
  stats(): Readonly<FaultStats>;
  /** Counts a throttle answered; `rate` when it came from the account's rate limit. */
  countThrottle(rate: boolean): void;
  /**
   * Takes one call from the account's bucket at `now` (ms). Returns 0 when the call may go, or
   * how long until it could, in ms, when it is over the limit.
   */
  takeCall(now: number): number;
}

const ruleSchema = z.strictObject({
  action: z.string().min(1).max(128),
  mode: z.enum(["throttle", "server_error", "hang", "drop_reply"]),
  count: z.number().int().min(1).max(1_000_000).optional(),
  forMs: z.number().int().min(1).max(86_400_000).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  match: z.record(z.string().max(128), z.string().max(1024)).optional(),
  until: z.number().optional(),
});

/** Validates a patch arriving from outside (a control endpoint's JSON body) before it reaches `set`. */
export const faultPatchSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(120_000).optional(),
  throttleRate: z.number().min(0).max(1).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  failNext: z.number().int().min(0).max(1_000_000).optional(),
  rules: z.array(ruleSchema).max(100).optional(),
  ratePerSecond: z.number().min(0).max(1_000_000).optional(),
  burst: z.number().int().min(0).max(1_000_000).optional(),
});

export function createFaultState(
  initial: Partial<FaultConfig> = {},
  now: () => number = Date.now,
): FaultState {
  const install = (patch: Partial<FaultConfig>): Partial<FaultConfig> => {
    const parsed = faultPatchSchema.parse(patch) as Partial<FaultConfig>;
    if (parsed.rules) {
      parsed.rules = parsed.rules.map((r) =>
        r.forMs !== undefined && r.until === undefined ? { ...r, until: now() + r.forMs } : r,
      );
    }
    return parsed;
  };
  let config: FaultConfig = { ...NO_FAULTS, rules: [], ...install(initial) };
  let stats: FaultStats = { throttled: 0, rateLimited: 0 };
  // GCRA: the theoretical arrival time of the next call. A call at `t` conforms when tat - t is
  // within the burst's tolerance; each call moves tat on by one emission interval.
  let tat = 0;
  return {
    current: () => config,
    set(patch) {
      const parsed = install(patch);
      if (parsed.ratePerSecond !== undefined || parsed.burst !== undefined) tat = 0;
      config = { ...config, ...parsed };
    },
    reset() {
      config = { ...NO_FAULTS, rules: [] };
      stats = { throttled: 0, rateLimited: 0 };
      tat = 0;
    },
    stats: () => stats,
    countThrottle(rate) {
      stats = { throttled: stats.throttled + 1, rateLimited: stats.rateLimited + (rate ? 1 : 0) };
    },
    takeCall(t) {
      const { ratePerSecond, burst } = config;
      if (ratePerSecond <= 0) return 0;
      const interval = 1000 / ratePerSecond;
      const depth = burst > 0 ? burst : Math.max(1, Math.round(ratePerSecond));
      const start = Math.max(tat, t);
      const wait = start + interval - t - depth * interval;
      if (wait > 0) return wait;
      tat = start + interval;
      return 0;
    },
  };
}

export interface ApplyFaultsOptions {
  /** Source of randomness for the rate knobs; tests pass a fixed function. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The call being decided on: its action name and parameters, for the rules. */
export interface FaultCall {
  action: string;
  params?: (name: string) => string | null | undefined;
}

function ruleApplies(rule: FaultRule, call: FaultCall | undefined, now: number): boolean {
  if (rule.until !== undefined && now > rule.until) return false;
  if (rule.count !== undefined && rule.count <= 0) return false;
  if (rule.action !== "*" && rule.action !== call?.action) return false;
  for (const [k, v] of Object.entries(rule.match ?? {})) if (call?.params?.(k) !== v) return false;
  return true;
}

/**
 * Meters the call against the account's rate limit, waits out the configured latency, then decides
 * whether this call fails. The rate limit comes first, as at a cloud's front door (a throttled call
 * reaches nothing, and still takes the latency to answer); then rules (a counted rule uses one of
 * its calls), then `failNext` (deterministic), then the rates.
 */
export async function applyFaults(
  state: FaultState,
  opts: ApplyFaultsOptions = {},
  call?: FaultCall,
): Promise<FaultDecision | undefined> {
  const { latencyMs } = state.current();
  const overBy = state.takeCall((opts.now ?? Date.now)());
  if (overBy > 0) {
    if (latencyMs > 0) await (opts.sleep ?? Bun.sleep)(latencyMs);
    state.countThrottle(true);
    return { kind: "throttle", retryAfterSeconds: Math.max(1, Math.ceil(overBy / 1000)), rate: true };
  }
  const decision = await decide(state, opts, call);
  if (decision?.kind === "throttle") state.countThrottle(false);
  return decision;
}

async function decide(
  state: FaultState,
  opts: ApplyFaultsOptions,
  call: FaultCall | undefined,
): Promise<FaultDecision | undefined> {
  const { latencyMs } = state.current();
  if (latencyMs > 0) await (opts.sleep ?? Bun.sleep)(latencyMs);
  // Read again after the delay: a test may have changed the knobs meanwhile.
  const config = state.current();
  const now = (opts.now ?? Date.now)();
  const index = config.rules.findIndex((r) => ruleApplies(r, call, now));
  const rule = config.rules[index];
  if (rule !== undefined) {
    if (rule.count !== undefined) {
      const rules = config.rules.map((r, i) => (i === index ? { ...r, count: (r.count ?? 1) - 1 } : r));
      state.set({ rules: rules.filter((r) => r.count === undefined || r.count > 0) });
    }
    if (rule.mode === "throttle") {
      return rule.retryAfterSeconds === undefined
        ? { kind: "throttle" }
        : { kind: "throttle", retryAfterSeconds: rule.retryAfterSeconds };
    }
    return { kind: rule.mode };
  }
  if (config.failNext > 0) {
    state.set({ failNext: config.failNext - 1 });
    return { kind: "throttle" };
  }
  const random = opts.random ?? Math.random;
  if (config.throttleRate > 0 && random() < config.throttleRate) return { kind: "throttle" };
  if (config.errorRate > 0 && random() < config.errorRate) return { kind: "server_error" };
  return undefined;
}

/**
 * What a hung call does: waits until the client gives up (its connection closes) or `maxMs`
 * passes, whichever is first. The caller then answers something nobody will read.
 */
export async function hangUntilAbandoned(req: Request, maxMs = 120_000): Promise<void> {
  if (req.signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, maxMs);
    req.signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
