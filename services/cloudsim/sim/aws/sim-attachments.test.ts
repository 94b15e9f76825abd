import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  type IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedUserPoliciesCommand,
  paginateListAttachedRolePolicies,
} from "@aws-sdk/client-iam";
import { type RunningIamSim, rejectionOf, sdkErrorView, startIamSim } from "./test-harness.ts";

const RO = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const AUDIT = "arn:aws:iam::aws:policy/SecurityAudit";
const S3_READ = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
};

let run: RunningIamSim;
let iam: IAMClient;
beforeEach(() => {
  run = startIamSim();
  iam = run.client();
});
afterEach(() => run.stop());

describe("managed policy attachments", () => {
  test("attach, list, detach for a user; each successful mutation is counted once", async () => {
    run.sim.seedUser("alice");
    await iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO }));
    const listed = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }));
    expect(listed.AttachedPolicies).toEqual([{ PolicyName: "ReadOnlyAccess", PolicyArn: RO }]);
    expect(listed.IsTruncated).toBe(false);
    expect(listed.Marker).toBeUndefined();
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([RO]);
    await iam.send(new DetachUserPolicyCommand({ UserName: "alice", PolicyArn: RO }));
    const after = run.sim.snapshot();
    expect(after.users.alice?.attachedPolicies).toEqual([]);
    expect(after.mutations).toEqual({ AttachUserPolicy: 1, DetachUserPolicy: 1 });
    expect(after.requests).toEqual({ AttachUserPolicy: 1, ListAttachedUserPolicies: 1, DetachUserPolicy: 1 });
  });

  test("attaching an already attached policy succeeds and changes nothing", async () => {
    run.sim.seedUser("alice", { attachedPolicies: [RO] });
    await iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: RO }));
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toEqual([RO]);
  });

  test("detaching a policy that is not attached is NoSuchEntity", async () => {
    run.sim.seedRole("deployer");
    const err = sdkErrorView(
      await rejectionOf(iam.send(new DetachRolePolicyCommand({ RoleName: "deployer", PolicyArn: RO }))),
    );
    expect(err).toMatchObject({
      name: "NoSuchEntityException",
      code: "NoSuchEntity",
      status: 404,
      message: `Policy ${RO} was not found.`,
    });
  });

  test("attaching a policy that does not exist is NoSuchEntity 'does not exist or is not attachable'", async () => {
    run.sim.seedGroup("ops");
    const missing = "arn:aws:iam::123456789012:policy/nope";
    const err = sdkErrorView(
      await rejectionOf(iam.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: missing }))),
    );
    expect(err).toMatchObject({
      code: "NoSuchEntity",
      status: 404,
      message: `Policy ${missing} does not exist or is not attachable.`,
    });
    // A customer policy of another account is not attachable here either.
    const foreign = "arn:aws:iam::999999999999:policy/s3-read";
    run.sim.seedPolicy("s3-read", S3_READ);
    const err2 = sdkErrorView(
      await rejectionOf(iam.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: foreign }))),
    );
    expect(err2.code).toBe("NoSuchEntity");
    expect(run.sim.snapshot().groups.ops?.attachedPolicies).toEqual([]);
  });

  test("attaching to an unknown principal is NoSuchEntity naming the principal", async () => {
    const err = sdkErrorView(
      await rejectionOf(iam.send(new AttachRolePolicyCommand({ RoleName: "ghost", PolicyArn: RO }))),
    );
    expect(err).toMatchObject({ code: "NoSuchEntity", message: "The role with name ghost cannot be found." });
  });

  test("a customer policy attaches to a group and is listed with its name", async () => {
    const arn = run.sim.seedPolicy("s3-read", S3_READ);
    run.sim.seedGroup("ops");
    await iam.send(new AttachGroupPolicyCommand({ GroupName: "ops", PolicyArn: arn }));
    const listed = await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: "ops" }));
    expect(listed.AttachedPolicies).toEqual([{ PolicyName: "s3-read", PolicyArn: arn }]);
    expect(run.sim.snapshot().policies[arn]?.attachmentCount).toBe(1);
  });

  test("PathPrefix filters attached policies by policy path", async () => {
    const view = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";
    run.sim.seedUser("alice", { attachedPolicies: [RO, view] });
    const listed = await iam.send(
      new ListAttachedUserPoliciesCommand({ UserName: "alice", PathPrefix: "/job-function/" }),
    );
    expect(listed.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([view]);
  });

  test("the eleventh attachment is LimitExceeded 409", async () => {
    const arns = Array.from({ length: 11 }, (_, i) => run.sim.seedPolicy(`p${i}`, S3_READ));
    run.sim.seedUser("alice", { attachedPolicies: arns.slice(0, 10) });
    const err = sdkErrorView(
      await rejectionOf(iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: arns[10] }))),
    );
    expect(err).toMatchObject({
      name: "LimitExceededException",
      code: "LimitExceeded",
      status: 409,
      message: "Cannot exceed quota for PoliciesPerUser: 10",
    });
    expect(run.sim.snapshot().users.alice?.attachedPolicies).toHaveLength(10);
  });

  test("the SDK retries LimitExceeded as if it were throttling (its name is in the SDK's throttling list)", async () => {
    const arns = Array.from({ length: 11 }, (_, i) => run.sim.seedPolicy(`p${i}`, S3_READ));
    run.sim.seedUser("alice", { attachedPolicies: arns.slice(0, 10) });
    const retrying = run.client({ maxAttempts: 2 });
    const err = sdkErrorView(
      await rejectionOf(
        retrying.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: arns[10] })),
      ),
    );
    expect(err.code).toBe("LimitExceeded");
    expect(err.attempts).toBe(2);
    expect(run.sim.snapshot().requests.AttachUserPolicy).toBe(2);
  });
});

describe("pagination of attached policies", () => {
  test("MaxItems pages with IsTruncated and an opaque Marker until the end", async () => {
    const arns = [
      RO,
      AUDIT,
      "arn:aws:iam::aws:policy/PowerUserAccess",
      "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    ];
    run.sim.seedUser("alice", { attachedPolicies: arns });
    const first = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice", MaxItems: 3 }));
    expect(first.AttachedPolicies).toHaveLength(3);
    expect(first.IsTruncated).toBe(true);
    expect(typeof first.Marker).toBe("string");
    const second = await iam.send(
      new ListAttachedUserPoliciesCommand({ UserName: "alice", MaxItems: 3, Marker: first.Marker }),
    );
    expect(second.AttachedPolicies).toHaveLength(1);
    expect(second.IsTruncated).toBe(false);
    expect(second.Marker).toBeUndefined();
    const all = [...(first.AttachedPolicies ?? []), ...(second.AttachedPolicies ?? [])].map(
      (p) => p.PolicyArn,
    );
    expect(all.sort()).toEqual([...arns].sort());
  });

  test("the SDK's paginator walks every page", async () => {
    const arns = Array.from({ length: 7 }, (_, i) => run.sim.seedPolicy(`p${i}`, S3_READ));
    run.sim.seedRole("deployer", { attachedPolicies: arns });
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListAttachedRolePolicies(
      { client: iam, pageSize: 2 },
      { RoleName: "deployer" },
    )) {
      pages++;
      for (const p of page.AttachedPolicies ?? []) seen.push(p.PolicyArn ?? "");
    }
    expect(pages).toBe(4);
    expect(seen.sort()).toEqual([...arns].sort());
  });

  test("a page stays correct when an item before the marker is removed between calls", async () => {
    const arns = Array.from({ length: 4 }, (_, i) => run.sim.seedPolicy(`p${i}`, S3_READ));
    run.sim.seedUser("alice", { attachedPolicies: arns });
    const first = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice", MaxItems: 2 }));
    const firstArns = (first.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "");
    await iam.send(new DetachUserPolicyCommand({ UserName: "alice", PolicyArn: firstArns[0] }));
    const second = await iam.send(
      new ListAttachedUserPoliciesCommand({ UserName: "alice", MaxItems: 2, Marker: first.Marker }),
    );
    const rest = (second.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "");
    expect([...firstArns, ...rest].sort()).toEqual([...arns].sort());
  });

  test("MaxItems outside 1..1000 is a ValidationError", async () => {
    run.sim.seedUser("alice");
    const err = sdkErrorView(
      await rejectionOf(iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice", MaxItems: 0 }))),
    );
    expect(err).toMatchObject({ code: "ValidationError", status: 400 });
  });
});
