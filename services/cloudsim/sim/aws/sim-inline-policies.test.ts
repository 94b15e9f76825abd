import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  DeleteGroupPolicyCommand,
  DeleteUserPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListUserPoliciesCommand,
  MalformedPolicyDocumentException,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { type RunningIamSim, rejectionOf, sdkErrorView, startIamSim } from "./test-harness.ts";

const DOC = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "ReadReports",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
      Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } },
    },
  ],
};

let run: RunningIamSim;
let iam: IAMClient;
beforeEach(() => {
  run = startIamSim();
  iam = run.client();
});
afterEach(() => run.stop());

describe("inline policies", () => {
  test("Put then Get returns the exact document, URL-encoded; decodeURIComponent restores it", async () => {
    run.sim.seedUser("alice");
    const text = JSON.stringify(DOC, null, 2);
    await iam.send(
      new PutUserPolicyCommand({ UserName: "alice", PolicyName: "reports", PolicyDocument: text }),
    );
    const got = await iam.send(new GetUserPolicyCommand({ UserName: "alice", PolicyName: "reports" }));
    expect(got.UserName).toBe("alice");
    expect(got.PolicyName).toBe("reports");
    expect(got.PolicyDocument).toBe(encodeURIComponent(text));
    expect(got.PolicyDocument).toStartWith("%7B%0A");
    expect(decodeURIComponent(got.PolicyDocument ?? "")).toBe(text);
    expect(run.sim.snapshot().users.alice?.inlinePolicies).toEqual({ reports: DOC });
  });

  test("Put replaces a policy of the same name; List pages the names", async () => {
    run.sim.seedUser("alice");
    for (const name of ["a", "b", "c"]) {
      await iam.send(
        new PutUserPolicyCommand({
          UserName: "alice",
          PolicyName: name,
          PolicyDocument: JSON.stringify(DOC),
        }),
      );
    }
    const other = { ...DOC, Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] };
    await iam.send(
      new PutUserPolicyCommand({ UserName: "alice", PolicyName: "b", PolicyDocument: JSON.stringify(other) }),
    );
    expect(run.sim.snapshot().users.alice?.inlinePolicies.b).toEqual(other);
    const first = await iam.send(new ListUserPoliciesCommand({ UserName: "alice", MaxItems: 2 }));
    expect(first.PolicyNames).toEqual(["a", "b"]);
    expect(first.IsTruncated).toBe(true);
    const second = await iam.send(
      new ListUserPoliciesCommand({ UserName: "alice", MaxItems: 2, Marker: first.Marker }),
    );
    expect(second.PolicyNames).toEqual(["c"]);
    expect(second.IsTruncated).toBe(false);
  });

  test("role and group inline policies work the same way", async () => {
    run.sim.seedRole("deployer");
    run.sim.seedGroup("ops", { inlinePolicies: { old: DOC } });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "p",
        PolicyDocument: JSON.stringify(DOC),
      }),
    );
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: "deployer", PolicyName: "p" }));
    expect(got.RoleName).toBe("deployer");
    expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ""))).toEqual(DOC);
    await iam.send(
      new PutGroupPolicyCommand({ GroupName: "ops", PolicyName: "p", PolicyDocument: JSON.stringify(DOC) }),
    );
    await iam.send(new DeleteGroupPolicyCommand({ GroupName: "ops", PolicyName: "old" }));
    const snap = run.sim.snapshot();
    expect(Object.keys(snap.roles.deployer?.inlinePolicies ?? {})).toEqual(["p"]);
    expect(Object.keys(snap.groups.ops?.inlinePolicies ?? {})).toEqual(["p"]);
  });

  test("Get or Delete of a missing inline policy is NoSuchEntity", async () => {
    run.sim.seedUser("alice");
    const get = sdkErrorView(
      await rejectionOf(iam.send(new GetUserPolicyCommand({ UserName: "alice", PolicyName: "nope" }))),
    );
    expect(get).toMatchObject({
      code: "NoSuchEntity",
      status: 404,
      message: "The user policy with name nope cannot be found.",
    });
    const del = sdkErrorView(
      await rejectionOf(iam.send(new DeleteUserPolicyCommand({ UserName: "alice", PolicyName: "nope" }))),
    );
    expect(del).toMatchObject({ code: "NoSuchEntity", status: 404 });
    const noUser = sdkErrorView(
      await rejectionOf(iam.send(new DeleteUserPolicyCommand({ UserName: "ghost", PolicyName: "nope" }))),
    );
    expect(noUser.message).toBe("The user with name ghost cannot be found.");
  });

  const malformed: [string, string, string][] = [
    ["not JSON", "{not json", "Syntax errors in policy."],
    ["no Statement", JSON.stringify({ Version: "2012-10-17" }), "Missing required field Statement"],
    [
      "a bad Effect",
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Permit", Action: "*", Resource: "*" }],
      }),
      "Invalid effect: Permit",
    ],
    [
      "no Action",
      JSON.stringify({ Statement: [{ Effect: "Allow", Resource: "*" }] }),
      "Policy statement must contain actions.",
    ],
    [
      "a Principal",
      JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Principal: "*" }] }),
      "Policy document should not specify a principal.",
    ],
    [
      "an unknown version",
      JSON.stringify({ Version: "2020-01-01", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      "The policy failed legacy parsing",
    ],
  ];
  for (const [what, document, message] of malformed) {
    test(`a document with ${what} is MalformedPolicyDocument 400 and stores nothing`, async () => {
      run.sim.seedUser("alice");
      const err = await rejectionOf(
        iam.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: "p", PolicyDocument: document })),
      );
      expect(err).toBeInstanceOf(MalformedPolicyDocumentException);
      expect(sdkErrorView(err)).toMatchObject({ code: "MalformedPolicyDocument", status: 400, message });
      expect(run.sim.snapshot().users.alice?.inlinePolicies).toEqual({});
    });
  }

  test("a user's inline policies above 2048 non-whitespace characters in total are LimitExceeded", async () => {
    run.sim.seedUser("alice");
    const big = (n: number) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(n)}` }],
      });
    await iam.send(
      new PutUserPolicyCommand({ UserName: "alice", PolicyName: "one", PolicyDocument: big(1000) }),
    );
    const err = sdkErrorView(
      await rejectionOf(
        iam.send(
          new PutUserPolicyCommand({ UserName: "alice", PolicyName: "two", PolicyDocument: big(1000) }),
        ),
      ),
    );
    expect(err).toMatchObject({ code: "LimitExceeded", status: 409 });
    // A role allows 10,240 characters.
    run.sim.seedRole("r");
    await iam.send(new PutRolePolicyCommand({ RoleName: "r", PolicyName: "one", PolicyDocument: big(4000) }));
    expect(Object.keys(run.sim.snapshot().roles.r?.inlinePolicies ?? {})).toEqual(["one"]);
  });
});
