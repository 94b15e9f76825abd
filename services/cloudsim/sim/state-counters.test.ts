// What `bun run bench e2e` reads from a cloudsim process: per-action call counts and throttles on
// GET /_sim/state, zeroed by POST /_sim/reset.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AttachUserPolicyCommand, IAMClient, ListAttachedUserPoliciesCommand } from "@aws-sdk/client-iam";
import { type RunningCloudsim, startCloudsim } from "./server.ts";

const RO = "arn:aws:iam::aws:policy/ReadOnlyAccess";

interface State {
  aws: { requests: Record<string, number>; mutations: Record<string, number> };
  azure: { calls: Record<string, number> };
  throttles: { aws: { throttled: number; rateLimited: number } };
}

let cloud: RunningCloudsim;
let iam: IAMClient;

beforeAll(async () => {
  cloud = await startCloudsim();
  iam = new IAMClient({
    region: "us-east-1",
    endpoint: cloud.awsUrl,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  iam.destroy();
  await cloud.stop();
});

const control = async (path: string, body?: unknown): Promise<State> => {
  const res = await fetch(`${cloud.awsUrl}/_sim/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as State;
};

test("GET /_sim/state counts IAM calls by action, throttled attempts included, and reset zeroes them", async () => {
  await control("seed", { aws: { users: [{ name: "alice" }] } });
  await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }));
  await iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO }));
  await control("faults", { aws: { failNext: 1 } });
  await expect(iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).rejects.toThrow();

  const state = await control("state");
  expect(state.aws.requests).toEqual({ ListAttachedUserPolicies: 2, AttachUserPolicy: 1 });
  expect(state.aws.mutations).toEqual({ AttachUserPolicy: 1 });
  expect(state.throttles.aws).toEqual({ throttled: 1, rateLimited: 0 });
  expect(state.azure.calls).toMatchObject({ create: 0, delete: 0, list: 0 });

  const after = await control("reset", {});
  expect(after.aws.requests).toEqual({});
  expect(after.throttles.aws).toEqual({ throttled: 0, rateLimited: 0 });
});
