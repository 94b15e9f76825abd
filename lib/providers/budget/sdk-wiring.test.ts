import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ListAttachedUserPoliciesCommand } from "@aws-sdk/client-iam";
import { type RunningIamSim, startIamSim } from "../../../services/cloudsim/sim/aws/test-harness.ts";
import { type AzureTestSim, startAzureTestSim } from "../../../services/cloudsim/sim/azure/test-harness.ts";
import { createTestRedis, type TestRedis } from "../../../tests/helpers/redis.ts";
import { createLogger } from "../../logging/logger.ts";
import type { Redis } from "../../redis/connect.ts";
import { createIamClient } from "../aws/create-iam-client.ts";
import { createAzureClient } from "../azure/create-azure-client.ts";
import { type CallBudget, type CallBudgetObserver, callBudgetKeys, createCallBudget } from "./call-budget.ts";

// The budget where every cloud call passes: the AWS SDK middleware and the ARM pipeline policy,
// through the real SDKs against the cloud simulator.

const quiet = createLogger({ service: "test", level: "silent" });
let t: TestRedis;
beforeAll(async () => {
  t = await createTestRedis();
});
afterAll(async () => {
  await t.cleanup();
});

let n = 0;
const freshAccount = () => `acct-${++n}`;

/** Another connection to the test's namespace: what another worker process would hold. */
const connection = (): Promise<Redis> => t.connect();

/** A budget on its own connection (as another worker process would hold), counting its slots. */
async function sharer(provider: string, account: string): Promise<CallBudget & { slots: () => number }> {
  let slots = 0;
  const observer: CallBudgetObserver = {
    waited: () => void slots++,
    failedOpen: () => {},
    paused: () => {},
    waitExceeded: () => {},
  };
  const budget = createCallBudget({
    redis: await connection(),
    provider,
    account,
    callsPerSecond: 100,
    burst: 100,
    maxWaitMs: 10_000,
    log: quiet,
    observer,
  });
  return Object.assign(budget, { slots: () => slots });
}

describe("AWS: the SDK middleware", () => {
  let run: RunningIamSim;
  beforeEach(async () => {
    await run?.stop();
    run = startIamSim();
    run.sim.seedUser("alice");
  });
  afterAll(async () => {
    await run?.stop();
  });

  const iam = (budget: CallBudget, maxAttempts = 1) =>
    createIamClient({
      region: "us-east-1",
      endpoint: run.endpoint,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts,
      budget,
      maxSockets: 4,
    });
  const list = new ListAttachedUserPoliciesCommand({ UserName: "alice" });

  test("a Throttling without Retry-After pauses every sharer for the default pause", async () => {
    const account = freshAccount();
    const [a, b] = [await sharer("aws", account), await sharer("aws", account)];
    const [clientA, clientB] = [iam(a), iam(b)];
    run.sim.faults.set({ rules: [{ action: "*", mode: "throttle", count: 1 }] });
    const err = await clientA.send(list).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { name?: string }).name).toBe("Throttling");
    const ttl = await t.redis.pttl(callBudgetKeys("aws", account).pause);
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(1002);
    const started = performance.now();
    await clientB.send(list); // another worker: waits the pause out, then succeeds
    expect(performance.now() - started).toBeGreaterThanOrEqual(ttl - 100);
    expect([a.slots(), b.slots()]).toEqual([1, 1]);
    clientA.destroy();
    clientB.destroy();
  });

  test("a Retry-After on a throttle sets the pause; the SDK's own retry takes a slot and waits it out", async () => {
    const account = freshAccount();
    const a = await sharer("aws", account);
    const client = iam(a, 2);
    run.sim.faults.set({ rules: [{ action: "*", mode: "throttle", count: 1, retryAfterSeconds: 2 }] });
    const started = performance.now();
    const out = await client.send(list);
    expect(out.AttachedPolicies).toEqual([]);
    // Two HTTP requests, two slots: the retry came back only after the 2 s pause.
    expect(a.slots()).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    client.destroy();
  });
});

describe("Azure: the ARM pipeline policy", () => {
  let az: AzureTestSim;
  beforeAll(async () => {
    az = await startAzureTestSim();
  });
  afterAll(async () => {
    await az?.stop();
  });

  const arm = (budget: CallBudget, maxRetries = 0) =>
    createAzureClient({
      tenantId: az.cloud.tenantId,
      clientId: az.cloud.clientId,
      clientSecret: az.cloud.clientSecret,
      authorityHost: az.cloud.authorityHost,
      armEndpoint: az.cloud.azureUrl,
      caPem: az.cloud.caPem,
      maxRetries,
      budget,
      maxSockets: 4,
    });
  const scope = () => `/subscriptions/${az.subscriptionId}/resourceGroups/rg-budget`;
  const listAll = async (client: ReturnType<typeof arm>) => {
    const out = [];
    for await (const a of client.roleAssignments.listForScope(scope())) out.push(a);
    return out;
  };

  test("a 429 with Retry-After pauses every sharer of the tenant, who waits it out instead of calling", async () => {
    const account = freshAccount();
    const [a, b] = [await sharer("azure", account), await sharer("azure", account)];
    const [clientA, clientB] = [arm(a), arm(b)];
    await Promise.all([listAll(clientA), listAll(clientB)]); // tokens fetched, slots taken
    const [slotsA, slotsB] = [a.slots(), b.slots()];
    az.sim.faults.set({ rules: [{ action: "*", mode: "throttle", count: 1, retryAfterSeconds: 2 }] });
    const err = await listAll(clientA).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { statusCode?: number }).statusCode).toBe(429);
    const ttl = await t.redis.pttl(callBudgetKeys("azure", account).pause);
    expect(ttl).toBeGreaterThan(1500);
    expect(ttl).toBeLessThanOrEqual(2002);
    const throttledBefore = az.sim.faults.stats().throttled;
    const started = performance.now();
    await listAll(clientB);
    expect(performance.now() - started).toBeGreaterThanOrEqual(ttl - 100);
    // B never reached ARM during the pause, so it was never throttled itself.
    expect(az.sim.faults.stats().throttled).toBe(throttledBefore);
    expect([a.slots() - slotsA, b.slots() - slotsB]).toEqual([1, 1]);
  });

  test("an SDK retry after a 429 takes its own slot (the policy runs inside the retry loop)", async () => {
    const a = await sharer("azure", freshAccount());
    const client = arm(a, 1);
    await listAll(client);
    const before = a.slots();
    az.sim.faults.set({ rules: [{ action: "*", mode: "throttle", count: 1, retryAfterSeconds: 1 }] });
    await listAll(client);
    expect(a.slots() - before).toBe(2);
  });
});
