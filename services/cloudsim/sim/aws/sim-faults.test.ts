import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  AttachUserPolicyCommand,
  GetUserCommand,
  IAMClient,
  IAMServiceException,
  ServiceFailureException,
} from "@aws-sdk/client-iam";
import { applyFaults, createFaultState } from "../faults.ts";
import { type RunningIamSim, rejectionOf, sdkErrorView, startIamSim } from "./test-harness.ts";

const RO = "arn:aws:iam::aws:policy/ReadOnlyAccess";

describe("applyFaults", () => {
  test("failNext throttles exactly N calls, then lets calls through", async () => {
    const state = createFaultState({ failNext: 2 });
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await applyFaults(state));
    expect(decisions).toEqual([{ kind: "throttle" }, { kind: "throttle" }, undefined, undefined]);
    expect(state.current().failNext).toBe(0);
  });

  test("rates are rolled against the injected random source", async () => {
    const state = createFaultState({ throttleRate: 0.5, errorRate: 0.5 });
    expect(await applyFaults(state, { random: () => 0.4 })).toEqual({ kind: "throttle" });
    // 0.7 misses the throttle roll and the error roll.
    expect(await applyFaults(state, { random: () => 0.7 })).toBeUndefined();
    const rolls = [0.9, 0.1];
    expect(await applyFaults(state, { random: () => rolls.shift() ?? 1 })).toEqual({ kind: "server_error" });
  });

  test("latency is waited out before the decision", async () => {
    const state = createFaultState({ latencyMs: 250 });
    const slept: number[] = [];
    expect(await applyFaults(state, { sleep: async (ms) => void slept.push(ms) })).toBeUndefined();
    expect(slept).toEqual([250]);
  });

  test("knobs are validated; reset restores no faults", () => {
    const state = createFaultState();
    expect(() => state.set({ throttleRate: 1.5 })).toThrow();
    expect(() => state.set({ failNext: -1 })).toThrow();
    state.set({ errorRate: 1, latencyMs: 5 });
    expect(state.current()).toEqual({
      latencyMs: 5,
      throttleRate: 0,
      errorRate: 1,
      failNext: 0,
      rules: [],
      ratePerSecond: 0,
      burst: 0,
    });
    state.reset();
    expect(state.current()).toEqual({
      latencyMs: 0,
      throttleRate: 0,
      errorRate: 0,
      failNext: 0,
      rules: [],
      ratePerSecond: 0,
      burst: 0,
    });
  });
});

describe("the account rate limit", () => {
  test("a burst goes at once, then one call per interval; the rest are throttled and counted", async () => {
    let now = 10_000;
    const state = createFaultState({ ratePerSecond: 10, burst: 3 });
    const at = async () => applyFaults(state, { now: () => now });
    // Three at once fit the bucket; the fourth is over by one interval (100 ms).
    const first = [await at(), await at(), await at(), await at()];
    expect(first.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(first[3]).toEqual({ kind: "throttle", retryAfterSeconds: 1, rate: true });
    now += 99;
    expect(await at()).toMatchObject({ kind: "throttle", rate: true });
    now += 1;
    expect(await at()).toBeUndefined();
    expect(await at()).toMatchObject({ kind: "throttle" });
    // A quiet second refills the bucket to its depth, not beyond.
    now += 1000;
    const refill = [await at(), await at(), await at(), await at()];
    expect(refill.map((d) => d?.kind)).toEqual([undefined, undefined, undefined, "throttle"]);
    expect(state.stats()).toEqual({ throttled: 4, rateLimited: 4 });
  });

  test("over a long run the admitted rate is the limit; other throttles count too", async () => {
    let now = 0;
    const state = createFaultState({ ratePerSecond: 50 }, () => now);
    let admitted = 0;
    // 200 calls/s offered for 10 s against 50/s with a one-second bucket.
    for (let i = 0; i < 2000; i++) {
      now = i * 5;
      if ((await applyFaults(state, { now: () => now })) === undefined) admitted++;
    }
    expect(admitted).toBeGreaterThanOrEqual(50 * 10);
    expect(admitted).toBeLessThanOrEqual(50 * 10 + 50);
    state.set({ ratePerSecond: 0, failNext: 1 });
    expect(await applyFaults(state)).toEqual({ kind: "throttle" });
    expect(state.stats()).toEqual({ throttled: 2000 - admitted + 1, rateLimited: 2000 - admitted });
    state.reset();
    expect(state.stats()).toEqual({ throttled: 0, rateLimited: 0 });
  });
});

describe("fault rules", () => {
  test("a rule targets one action (and parameters), a count runs out, a burst ends", async () => {
    let now = 1000;
    const state = createFaultState({}, () => now);
    state.set({
      rules: [
        { action: "AttachUserPolicy", mode: "throttle", count: 2, retryAfterSeconds: 3 },
        { action: "DetachUserPolicy", mode: "server_error", forMs: 500, match: { UserName: "bob" } },
      ],
    });
    const call = (action: string, user = "alice") =>
      applyFaults(
        state,
        { now: () => now },
        {
          action,
          params: (k) => (k === "UserName" ? user : null),
        },
      );
    expect(await call("GetUser")).toBeUndefined();
    expect(await call("AttachUserPolicy")).toEqual({ kind: "throttle", retryAfterSeconds: 3 });
    expect(await call("AttachUserPolicy")).toEqual({ kind: "throttle", retryAfterSeconds: 3 });
    expect(await call("AttachUserPolicy")).toBeUndefined();
    expect(await call("DetachUserPolicy", "alice")).toBeUndefined();
    expect(await call("DetachUserPolicy", "bob")).toEqual({ kind: "server_error" });
    now += 501;
    expect(await call("DetachUserPolicy", "bob")).toBeUndefined();
    expect(state.current().rules).toHaveLength(1); // the counted rule removed itself
  });
});

describe("fault knobs through the real SDK", () => {
  let run: RunningIamSim;
  let iam: IAMClient;
  beforeEach(() => {
    run = startIamSim();
    iam = run.client();
    run.sim.seedUser("alice");
  });
  afterEach(() => run.stop());

  test("a throttled call is Throttling 400, retryable for the SDK, and changes nothing", async () => {
    run.sim.faults.set({ failNext: 1 });
    const err = await rejectionOf(
      iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO })),
    );
    expect(err).toBeInstanceOf(IAMServiceException);
    expect(sdkErrorView(err)).toMatchObject({
      name: "Throttling",
      code: "Throttling",
      status: 400,
      message: "Rate exceeded",
    });
    const snap = run.sim.snapshot();
    expect(snap.users.alice?.attachedPolicies).toEqual([]);
    expect(snap.requests.AttachUserPolicy).toBe(1);
    expect(snap.mutations.AttachUserPolicy).toBeUndefined();
    // The next call goes through.
    await iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO }));
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([RO]);
  });

  test("the SDK's own retry absorbs throttling within maxAttempts", async () => {
    run.sim.faults.set({ failNext: 1 });
    const out = await run.client({ maxAttempts: 2 }).send(new GetUserCommand({ UserName: "alice" }));
    expect(out.User?.UserName).toBe("alice");
    expect(out.$metadata.attempts).toBe(2);
    expect(run.sim.snapshot().requests.GetUser).toBe(2);
  });

  test("errorRate 1 answers ServiceFailure 500 as a server fault", async () => {
    run.sim.faults.set({ errorRate: 1 });
    const err = await rejectionOf(iam.send(new GetUserCommand({ UserName: "alice" })));
    expect(err).toBeInstanceOf(ServiceFailureException);
    expect(sdkErrorView(err)).toMatchObject({ code: "ServiceFailure", status: 500, fault: "server" });
  });

  test("throttleRate 1 throttles every call", async () => {
    run.sim.faults.set({ throttleRate: 1 });
    for (let i = 0; i < 3; i++) {
      expect(sdkErrorView(await rejectionOf(iam.send(new GetUserCommand({ UserName: "alice" })))).code).toBe(
        "Throttling",
      );
    }
  });

  test("a shared fault holder drives the simulator from outside", async () => {
    const shared = createFaultState();
    const other = startIamSim({ faults: shared });
    try {
      shared.set({ failNext: 1 });
      expect(other.sim.faults).toBe(shared);
      const err = sdkErrorView(await rejectionOf(other.client().send(new GetUserCommand({ UserName: "x" }))));
      expect(err.code).toBe("Throttling");
    } finally {
      await other.stop();
    }
  });

  test("latency delays the answer", async () => {
    run.sim.faults.set({ latencyMs: 150 });
    const started = performance.now();
    await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test("a denied action is AccessDenied 403", async () => {
    run.sim.denyActions(["AttachUserPolicy"]);
    const err = sdkErrorView(
      await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO }))),
    );
    expect(err).toMatchObject({ code: "AccessDenied", status: 403, fault: "client" });
    expect(err.message).toContain("is not authorized to perform: iam:AttachUserPolicy");
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([]);
  });

  /** A client that gives up on an answer after 300 ms, as a worker's call deadline would. */
  const impatientClient = () =>
    new IAMClient({
      region: "us-east-1",
      endpoint: run.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
    });

  test("a throttling burst sends Retry-After, which the SDK error carries", async () => {
    run.sim.faults.set({
      rules: [{ action: "AttachUserPolicy", mode: "throttle", forMs: 60_000, retryAfterSeconds: 7 }],
    });
    const err = await rejectionOf(
      iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO })),
    );
    expect(sdkErrorView(err).code).toBe("Throttling");
    const headers = (err as { $response?: { headers?: Record<string, string> } }).$response?.headers ?? {};
    expect(headers["retry-after"]).toBe("7");
  });

  test("over the account's rate limit: Throttling without Retry-After, and nothing changed", async () => {
    run.sim.faults.set({ ratePerSecond: 1, burst: 1 });
    await iam.send(new GetUserCommand({ UserName: "alice" }));
    const err = await rejectionOf(
      iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO })),
    );
    expect(sdkErrorView(err)).toMatchObject({ code: "Throttling", status: 400 });
    const headers = (err as { $response?: { headers?: Record<string, string> } }).$response?.headers ?? {};
    expect(headers["retry-after"]).toBeUndefined();
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([]);
    expect(run.sim.faults.stats()).toEqual({ throttled: 1, rateLimited: 1 });
  });

  test("drop_reply applies the call and never answers: the client times out, the change is made", async () => {
    run.sim.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    const client = impatientClient();
    try {
      const err = await rejectionOf(
        client.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO })),
      );
      expect((err as Error).name).toBe("TimeoutError");
      expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([RO]);
    } finally {
      client.destroy();
    }
  });

  test("hang never answers and applies nothing", async () => {
    run.sim.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "hang", count: 1 }] });
    const client = impatientClient();
    try {
      const err = await rejectionOf(
        client.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO })),
      );
      expect((err as Error).name).toBe("TimeoutError");
      expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([]);
    } finally {
      client.destroy();
    }
  });

  test("reset empties the account and counters", async () => {
    await iam.send(new GetUserCommand({ UserName: "alice" }));
    run.sim.reset();
    expect(run.sim.snapshot()).toEqual({
      accountId: "123456789012",
      users: {},
      roles: {},
      groups: {},
      policies: {},
      requests: {},
      mutations: {},
    });
  });
});
