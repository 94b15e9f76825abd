import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { IAMClient } from "@aws-sdk/client-iam";
import {
  type RunningIamSim,
  rejectionOf,
  startIamSim,
} from "../../../services/cloudsim/sim/aws/test-harness.ts";
import type { AwsRequest } from "../../schemas/request.ts";
import { type ProviderClient, ProviderError } from "../types.ts";
import { createAwsProvider } from "./aws-provider.ts";
import { createIamClient } from "./create-iam-client.ts";
import { awsGrant, ctx, READ_ONLY, REPORTS_POLICY } from "./test-fixtures.ts";

let run: RunningIamSim;
let client: IAMClient;
let aws: ProviderClient;

beforeEach(() => {
  run = startIamSim();
  client = createIamClient({
    region: "us-east-1",
    endpoint: run.endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  aws = createAwsProvider({ client });
});
afterEach(async () => {
  client.destroy();
  await run.stop();
});

type Kind = AwsRequest["principal"]["type"];
const PRINCIPALS: Kind[] = ["user", "role", "group"];

function seed(kind: Kind, name: string, opts: Parameters<RunningIamSim["sim"]["seedUser"]>[1] = {}): void {
  if (kind === "user") run.sim.seedUser(name, opts);
  else if (kind === "role") run.sim.seedRole(name, opts);
  else run.sim.seedGroup(name, opts);
}

function stateOf(kind: Kind, name: string) {
  const snap = run.sim.snapshot();
  const entry = kind === "user" ? snap.users[name] : kind === "role" ? snap.roles[name] : snap.groups[name];
  if (entry === undefined) throw new Error(`${kind} ${name} missing from the simulator`);
  return entry;
}

const Word: Record<Kind, string> = { user: "User", role: "Role", group: "Group" };

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const err = await rejectionOf(p);
  if (!(err instanceof ProviderError)) throw new Error(`expected ProviderError, got ${String(err)}`);
  return err;
}

describe.each(PRINCIPALS)("managed_policy for a %s", (kind) => {
  const principal = { type: kind, name: "subject" } as AwsRequest["principal"];
  const payload = awsGrant(principal, { type: "managed_policy", policy_arn: READ_ONLY });

  test("grant attaches without looking first (one call); a second grant changes nothing", async () => {
    seed(kind, "subject");
    expect(await aws.grant(payload, ctx())).toEqual({ handle: {} });
    expect(stateOf(kind, "subject").attachedPolicies).toEqual([READ_ONLY]);
    expect(run.sim.snapshot().requests).toEqual({ [`Attach${Word[kind]}Policy`]: 1 });
    expect(await aws.grant(payload, ctx())).toEqual({ handle: {} });
    expect(stateOf(kind, "subject").attachedPolicies).toEqual([READ_ONLY]);
  });

  test("revoke detaches; a second revoke reports alreadyGone", async () => {
    seed(kind, "subject", { attachedPolicies: [READ_ONLY] });
    expect(await aws.revoke(payload, ctx())).toEqual({ alreadyGone: false });
    expect(stateOf(kind, "subject").attachedPolicies).toEqual([]);
    expect(await aws.revoke(payload, ctx())).toEqual({ alreadyGone: true });
    expect(run.sim.snapshot().mutations[`Detach${Word[kind]}Policy`]).toBe(1);
  });

  test("inspect tells attached from not attached, in one read, and cannot say by whom", async () => {
    seed(kind, "subject");
    expect(await aws.inspect(payload, ctx(), "grant")).toEqual({ present: false, ours: null });
    await aws.grant(payload, ctx());
    expect(await aws.inspect(payload, ctx(), "check")).toEqual({ present: true, ours: null });
    expect(run.sim.snapshot().requests[`ListAttached${Word[kind]}Policies`]).toBe(2);
  });

  test(`an unknown ${kind} is a permanent NoSuchEntity`, async () => {
    const err = await providerError(aws.grant(payload, ctx()));
    expect(err).toMatchObject({
      code: "provider_permanent",
      retryable: false,
      providerCode: "NoSuchEntity",
      httpStatus: 404,
    });
    expect(err.providerMessage).toBe(`The ${kind} with name subject cannot be found.`);
  });
});

describe.each(PRINCIPALS)("inline_policy for a %s", (kind) => {
  const principal = { type: kind, name: "subject" } as AwsRequest["principal"];
  const payload = awsGrant(principal, {
    type: "inline_policy",
    policy_name: "reports",
    document: REPORTS_POLICY,
  });

  test("grant puts the document in one call; a second grant changes nothing", async () => {
    seed(kind, "subject");
    expect(await aws.grant(payload, ctx())).toEqual({ handle: {} });
    expect(stateOf(kind, "subject").inlinePolicies).toEqual({ reports: REPORTS_POLICY });
    expect(run.sim.snapshot().requests).toEqual({ [`Put${Word[kind]}Policy`]: 1 });
    expect(await aws.grant(payload, ctx())).toEqual({ handle: {} });
    expect(stateOf(kind, "subject").inlinePolicies).toEqual({ reports: REPORTS_POLICY });
  });

  test("revoke deletes; a second revoke reports alreadyGone", async () => {
    seed(kind, "subject", { inlinePolicies: { reports: REPORTS_POLICY } });
    expect(await aws.revoke(payload, ctx())).toEqual({ alreadyGone: false });
    expect(stateOf(kind, "subject").inlinePolicies).toEqual({});
    expect(await aws.revoke(payload, ctx())).toEqual({ alreadyGone: true });
  });

  test("the same document written differently (key order, whitespace, string vs list) is pre-existing", async () => {
    const sameMeaning = `{
      "Statement": { "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
                     "Action": ["s3:GetObject", "s3:ListBucket"], "Effect": "Allow", "Sid": "ReadReports" },
      "Version": "2012-10-17" }`;
    seed(kind, "subject", { inlinePolicies: { reports: sameMeaning } });
    expect(await aws.inspect(payload, ctx(), "grant")).toEqual({ present: true, ours: null });
  });

  test("a different policy under the same name is never overwritten: permanent InlinePolicyNameInUse", async () => {
    const theirs = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ec2:*", Resource: "*" }],
    };
    seed(kind, "subject", { inlinePolicies: { reports: theirs } });
    const err = await providerError(aws.inspect(payload, ctx(), "grant"));
    expect(err).toMatchObject({
      code: "provider_permanent",
      retryable: false,
      providerCode: "InlinePolicyNameInUse",
    });
    expect(stateOf(kind, "subject").inlinePolicies).toEqual({ reports: theirs });
    // The drift sweep's look does not refuse: the name is what a revoke would delete.
    expect(await aws.inspect(payload, ctx(), "check")).toEqual({ present: true, ours: null });
  });

  test("a document IAM rejects is a permanent MalformedPolicyDocument", async () => {
    seed(kind, "subject");
    // Valid for the request schema (Resource is optional there) but not for IAM.
    const noResource = awsGrant(principal, {
      type: "inline_policy",
      policy_name: "broken",
      document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] },
    });
    const err = await providerError(aws.grant(noResource, ctx()));
    expect(err).toMatchObject({
      code: "provider_permanent",
      retryable: false,
      providerCode: "MalformedPolicyDocument",
      providerMessage: "Policy statement must contain resources.",
      httpStatus: 400,
    });
    expect(stateOf(kind, "subject").inlinePolicies).toEqual({});
  });

  test(`an unknown ${kind} is a permanent NoSuchEntity (from the put)`, async () => {
    const err = await providerError(aws.grant(payload, ctx()));
    expect(err).toMatchObject({ providerCode: "NoSuchEntity", retryable: false });
    expect(run.sim.snapshot().requests[`Put${Word[kind]}Policy`]).toBe(1);
  });
});

describe("group_membership", () => {
  const payload = awsGrant({ type: "user", name: "alice" }, { type: "group_membership", group: "auditors" });

  test("grant adds in one call; a second grant changes nothing", async () => {
    run.sim.seedGroup("auditors");
    run.sim.seedUser("alice");
    expect(await aws.grant(payload, ctx())).toEqual({ handle: {} });
    expect(run.sim.snapshot().groups.auditors?.members).toEqual(["alice"]);
    expect(run.sim.snapshot().requests).toEqual({ AddUserToGroup: 1 });
    expect(await aws.grant(payload, ctx())).toEqual({ handle: {} });
    expect(run.sim.snapshot().groups.auditors?.members).toEqual(["alice"]);
  });

  test("revoke removes; a second revoke reports alreadyGone", async () => {
    run.sim.seedGroup("auditors");
    run.sim.seedUser("alice", { groups: ["auditors"] });
    expect(await aws.revoke(payload, ctx())).toEqual({ alreadyGone: false });
    expect(run.sim.snapshot().users.alice?.groups).toEqual([]);
    expect(await aws.revoke(payload, ctx())).toEqual({ alreadyGone: true });
  });

  test("membership that existed before is detected, also when the group name differs in case", async () => {
    run.sim.seedGroup("Auditors");
    run.sim.seedUser("alice", { groups: ["Auditors"] });
    expect(await aws.inspect(payload, ctx(), "grant")).toEqual({ present: true, ours: null });
  });

  test("an unknown group is a permanent NoSuchEntity", async () => {
    run.sim.seedUser("alice");
    const err = await providerError(aws.grant(payload, ctx()));
    expect(err).toMatchObject({ providerCode: "NoSuchEntity", retryable: false });
    expect(err.providerMessage).toBe("The group with name auditors cannot be found.");
  });

  test("a non-user principal is refused before any call", async () => {
    const bad = { ...payload, principal: { type: "role", name: "r" } } as AwsRequest;
    const err = await providerError(aws.grant(bad, ctx()));
    expect(err).toMatchObject({ providerCode: "InvalidPrincipalType", retryable: false });
    expect(run.sim.snapshot().requests).toEqual({});
  });
});

describe("pre-existing detection walks every page", () => {
  test("a policy on the last page of ListAttachedUserPolicies is found", async () => {
    const S3 = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    };
    const arns = Array.from({ length: 9 }, (_, i) => run.sim.seedPolicy(`p${i}`, S3));
    // Sorted by ARN the AWS managed policy comes last, on the fifth page of two.
    run.sim.seedUser("alice", { attachedPolicies: [...arns, READ_ONLY] });
    const paged = createAwsProvider({ client, listPageSize: 2 });
    const out = await paged.inspect(
      awsGrant({ type: "user", name: "alice" }, { type: "managed_policy", policy_arn: READ_ONLY }),
      ctx(),
      "grant",
    );
    expect(out.present).toBe(true);
    expect(run.sim.snapshot().requests).toEqual({ ListAttachedUserPolicies: 5 });
  });

  test("a group on a later page of ListGroupsForUser is found", async () => {
    const groups = ["a1", "a2", "a3", "auditors"];
    for (const g of groups) run.sim.seedGroup(g);
    run.sim.seedUser("alice", { groups });
    const paged = createAwsProvider({ client, listPageSize: 1 });
    const out = await paged.inspect(
      awsGrant({ type: "user", name: "alice" }, { type: "group_membership", group: "auditors" }),
      ctx(),
      "grant",
    );
    expect(out.present).toBe(true);
    expect(run.sim.snapshot().requests).toEqual({ ListGroupsForUser: 4 });
  });
});

describe("revoke when things changed behind the bridge's back", () => {
  test("the principal was deleted: alreadyGone for every permission type", async () => {
    const user = { type: "user", name: "gone" } as const;
    expect(
      await aws.revoke(awsGrant(user, { type: "managed_policy", policy_arn: READ_ONLY }), ctx()),
    ).toEqual({
      alreadyGone: true,
    });
    run.sim.seedGroup("auditors");
    expect(await aws.revoke(awsGrant(user, { type: "group_membership", group: "auditors" }), ctx())).toEqual({
      alreadyGone: true,
    });
    expect(
      await aws.revoke(
        awsGrant(user, { type: "inline_policy", policy_name: "reports", document: REPORTS_POLICY }),
        ctx(),
      ),
    ).toEqual({ alreadyGone: true });
  });

  test("an inline policy edited since the grant is still deleted, in one call", async () => {
    const widened = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
    };
    run.sim.seedUser("alice", { inlinePolicies: { reports: widened } });
    const out = await aws.revoke(
      awsGrant(
        { type: "user", name: "alice" },
        { type: "inline_policy", policy_name: "reports", document: REPORTS_POLICY },
      ),
      ctx(7),
    );
    expect(out).toEqual({ alreadyGone: false });
    expect(run.sim.snapshot().users.alice?.inlinePolicies).toEqual({});
    expect(run.sim.snapshot().requests).toEqual({ DeleteUserPolicy: 1 });
  });
});

describe("misrouted payloads", () => {
  test("an Azure payload is refused permanently without calling IAM", async () => {
    const azure = {
      provider: "azure" as const,
      action: "grant" as const,
      duration: "PT1H",
      principal: { id: "11111111-1111-4111-8111-111111111111", type: "User" as const },
      role: { name: "Reader" },
      scope: "/subscriptions/11111111-1111-4111-8111-111111111111",
    };
    const err = await providerError(aws.grant(azure, ctx()));
    expect(err).toMatchObject({ providerCode: "UnsupportedProvider", retryable: false });
    expect(run.sim.snapshot().requests).toEqual({});
  });
});
