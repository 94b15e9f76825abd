import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { IAMClient } from "@aws-sdk/client-iam";
import {
  type RunningIamSim,
  rejectionOf,
  startIamSim,
} from "../../../services/cloudsim/sim/aws/test-harness.ts";
import { ProviderError } from "../types.ts";
import { createAwsProvider } from "./aws-provider.ts";
import { createIamClient, type IamClientOptions } from "./create-iam-client.ts";
import { awsGrant, ctx, READ_ONLY } from "./test-fixtures.ts";

const ATTACH = awsGrant({ type: "user", name: "alice" }, { type: "managed_policy", policy_arn: READ_ONLY });

let run: RunningIamSim;
const clients: IAMClient[] = [];

function providerFor(opts: Partial<IamClientOptions> = {}) {
  const client = createIamClient({
    region: "us-east-1",
    endpoint: run.endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    ...opts,
  });
  clients.push(client);
  return createAwsProvider({ client });
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await rejectionOf(p);
  if (!(err instanceof ProviderError)) throw new Error(`expected ProviderError, got ${String(err)}`);
  return err;
}

beforeEach(() => {
  run = startIamSim();
  run.sim.seedUser("alice");
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await run.stop();
});

describe("transient failures are retryable ProviderErrors", () => {
  test("throttling", async () => {
    run.sim.faults.set({ throttleRate: 1 });
    const err = await providerError(providerFor().grant(ATTACH, ctx()));
    expect(err).toMatchObject({
      code: "provider_transient",
      retryable: true,
      providerCode: "Throttling",
      providerMessage: "Rate exceeded",
      httpStatus: 400,
    });
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([]);
  });

  test("a 500 ServiceFailure", async () => {
    run.sim.faults.set({ errorRate: 1 });
    const err = await providerError(providerFor().revoke(ATTACH, ctx()));
    expect(err).toMatchObject({
      code: "provider_transient",
      retryable: true,
      providerCode: "ServiceFailure",
      httpStatus: 500,
    });
  });

  test("connection refused on a closed port", async () => {
    const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const closedPort = probe.port;
    await probe.stop(true);
    const err = await providerError(
      providerFor({ endpoint: `http://127.0.0.1:${closedPort}` }).grant(ATTACH, ctx()),
    );
    expect(err).toMatchObject({ code: "provider_transient", retryable: true, providerCode: "ECONNREFUSED" });
    expect(err.httpStatus).toBeUndefined();
  });

  test("a response slower than requestTimeoutMs is a TimeoutError, not a hang", async () => {
    run.sim.faults.set({ latencyMs: 2000 });
    const started = performance.now();
    const err = await providerError(providerFor({ requestTimeoutMs: 200 }).grant(ATTACH, ctx()));
    expect(performance.now() - started).toBeLessThan(1500);
    expect(err).toMatchObject({ code: "provider_transient", retryable: true, providerCode: "ETIMEDOUT" });
    expect(err.cause).toMatchObject({ name: "TimeoutError" });
  });
});

describe("permanent failures fail at once", () => {
  test("AccessDenied for the bridge's own identity", async () => {
    run.sim.denyActions(["AttachUserPolicy"]);
    const err = await providerError(providerFor().grant(ATTACH, ctx()));
    expect(err).toMatchObject({
      code: "provider_permanent",
      retryable: false,
      providerCode: "AccessDenied",
      httpStatus: 403,
    });
  });

  test("LimitExceeded is permanent although the SDK retries it as throttling", async () => {
    const S3 = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    };
    const arns = Array.from({ length: 10 }, (_, i) => run.sim.seedPolicy(`p${i}`, S3));
    run.sim.seedUser("bob", { attachedPolicies: arns });
    const grant = awsGrant({ type: "user", name: "bob" }, { type: "managed_policy", policy_arn: READ_ONLY });
    const err = await providerError(providerFor({ maxAttempts: 2 }).grant(grant, ctx()));
    expect(err).toMatchObject({
      code: "provider_permanent",
      retryable: false,
      providerCode: "LimitExceeded",
      httpStatus: 409,
    });
    expect(run.sim.snapshot().requests.AttachUserPolicy).toBe(2);
  });

  test("a policy ARN that does not exist", async () => {
    const missing = awsGrant(
      { type: "user", name: "alice" },
      { type: "managed_policy", policy_arn: "arn:aws:iam::123456789012:policy/missing" },
    );
    const err = await providerError(providerFor().grant(missing, ctx()));
    expect(err).toMatchObject({ providerCode: "NoSuchEntity", retryable: false });
    expect(err.providerMessage).toBe(
      "Policy arn:aws:iam::123456789012:policy/missing does not exist or is not attachable.",
    );
  });
});

describe("the client's own retries", () => {
  test("by default one throttled attempt is absorbed inside the call", async () => {
    run.sim.faults.set({ failNext: 1 });
    const out = await providerFor({ maxAttempts: undefined }).grant(ATTACH, ctx());
    expect(out).toEqual({ handle: {} });
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([READ_ONLY]);
    expect(run.sim.snapshot().requests.AttachUserPolicy).toBe(2);
  });

  test("by default a second throttle reaches the queue as transient: 2 attempts, not 3", async () => {
    run.sim.faults.set({ failNext: 5 });
    const err = await providerError(providerFor({ maxAttempts: undefined }).grant(ATTACH, ctx()));
    expect(err.retryable).toBe(true);
    expect(run.sim.snapshot().requests.AttachUserPolicy).toBe(2);
  });
});

describe("secrets", () => {
  test("no credential material in a classified error, its cause or its serialisation", async () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1";
    const keyId = "AKIAIOSFODNN7EXAMPLE";
    run.sim.denyActions(["AttachUserPolicy"]);
    const err = await providerError(
      providerFor({ credentials: { accessKeyId: keyId, secretAccessKey: secret } }).grant(ATTACH, ctx()),
    );
    const rendered = [
      Bun.inspect(err, { depth: 10 }),
      JSON.stringify(err),
      err.message,
      err.providerMessage,
    ].join("\n");
    expect(rendered).not.toContain(secret);
    expect(rendered).not.toContain(keyId);
    expect(rendered).toContain("AccessDenied");
  });
});
