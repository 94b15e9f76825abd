import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteUserCommand,
  EntityAlreadyExistsException,
  GetGroupCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  type IAMClient,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
} from "@aws-sdk/client-iam";
import { type RunningIamSim, rejectionOf, sdkErrorView, startIamSim } from "./test-harness.ts";

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const S3_READ = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::bucket/*" }],
});

let run: RunningIamSim;
let iam: IAMClient;
beforeEach(() => {
  run = startIamSim();
  iam = run.client();
});
afterEach(() => run.stop());

describe("users", () => {
  test("CreateUser then GetUser returns the same user; a duplicate is EntityAlreadyExists 409", async () => {
    const created = await iam.send(new CreateUserCommand({ UserName: "alice", Path: "/staff/" }));
    expect(created.User?.Arn).toBe("arn:aws:iam::123456789012:user/staff/alice");
    expect(created.User?.UserId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    const got = await iam.send(new GetUserCommand({ UserName: "alice" }));
    expect(got.User?.UserId).toBe(created.User?.UserId ?? "missing");
    const err = await rejectionOf(iam.send(new CreateUserCommand({ UserName: "alice" })));
    expect(err).toBeInstanceOf(EntityAlreadyExistsException);
    expect(sdkErrorView(err)).toMatchObject({ code: "EntityAlreadyExists", status: 409, fault: "client" });
  });

  test("names are not distinguished by case: ALICE is alice", async () => {
    run.sim.seedUser("alice");
    const got = await iam.send(new GetUserCommand({ UserName: "ALICE" }));
    expect(got.User?.UserName).toBe("alice");
    const err = sdkErrorView(await rejectionOf(iam.send(new CreateUserCommand({ UserName: "Alice" }))));
    expect(err.code).toBe("EntityAlreadyExists");
  });

  test("an unknown user is NoSuchEntityException 404 with IAM's message", async () => {
    const err = await rejectionOf(iam.send(new GetUserCommand({ UserName: "ghost" })));
    expect(err).toBeInstanceOf(NoSuchEntityException);
    expect(sdkErrorView(err)).toEqual({
      name: "NoSuchEntityException",
      code: "NoSuchEntity",
      status: 404,
      fault: "client",
      message: "The user with name ghost cannot be found.",
      attempts: 1,
    });
  });

  test("DeleteUser refuses while policies are attached (DeleteConflict 409), then deletes", async () => {
    run.sim.seedUser("erin", { attachedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] });
    const err = sdkErrorView(await rejectionOf(iam.send(new DeleteUserCommand({ UserName: "erin" }))));
    expect(err).toMatchObject({ name: "DeleteConflictException", code: "DeleteConflict", status: 409 });
    run.sim.reset();
    run.sim.seedUser("erin");
    await iam.send(new DeleteUserCommand({ UserName: "erin" }));
    expect(run.sim.snapshot().users).toEqual({});
  });
});

describe("roles", () => {
  test("CreateRole stores the trust policy; GetRole returns it URL-encoded as IAM does", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: "deployer", AssumeRolePolicyDocument: TRUST }));
    const got = await iam.send(new GetRoleCommand({ RoleName: "deployer" }));
    expect(got.Role?.Arn).toBe("arn:aws:iam::123456789012:role/deployer");
    expect(got.Role?.AssumeRolePolicyDocument).toBe(encodeURIComponent(TRUST));
    expect(JSON.parse(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ""))).toEqual(
      JSON.parse(TRUST),
    );
    expect(got.Role?.MaxSessionDuration).toBe(3600);
  });

  test("a trust policy without a Principal is MalformedPolicyDocument", async () => {
    const err = await rejectionOf(
      iam.send(new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: S3_READ })),
    );
    expect(err).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(sdkErrorView(err)).toMatchObject({ code: "MalformedPolicyDocument", status: 400 });
    expect(run.sim.snapshot().roles).toEqual({});
  });

  test("an unknown role is NoSuchEntity with the role wording", async () => {
    const err = sdkErrorView(await rejectionOf(iam.send(new GetRoleCommand({ RoleName: "nope" }))));
    expect(err).toMatchObject({
      code: "NoSuchEntity",
      status: 404,
      message: "The role with name nope cannot be found.",
    });
  });
});

describe("groups and customer policies", () => {
  test("CreateGroup then GetGroup lists no users yet", async () => {
    await iam.send(new CreateGroupCommand({ GroupName: "auditors" }));
    const got = await iam.send(new GetGroupCommand({ GroupName: "auditors" }));
    expect(got.Group?.Arn).toBe("arn:aws:iam::123456789012:group/auditors");
    expect(got.Users).toEqual([]);
    expect(got.IsTruncated).toBe(false);
  });

  test("CreatePolicy lives in the account; GetPolicy reports its attachment count", async () => {
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: "s3-read", PolicyDocument: S3_READ }),
    );
    const arn = created.Policy?.Arn ?? "";
    expect(arn).toBe("arn:aws:iam::123456789012:policy/s3-read");
    expect(created.Policy?.DefaultVersionId).toBe("v1");
    run.sim.seedUser("u1", { attachedPolicies: [arn] });
    const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(got.Policy?.AttachmentCount).toBe(1);
    const dup = sdkErrorView(
      await rejectionOf(
        iam.send(new CreatePolicyCommand({ PolicyName: "S3-READ", PolicyDocument: S3_READ })),
      ),
    );
    expect(dup).toMatchObject({ code: "EntityAlreadyExists", status: 409 });
  });

  test("AWS managed policies exist in every account, at their real paths", async () => {
    const ro = await iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    expect(ro.Policy?.PolicyName).toBe("ReadOnlyAccess");
    const view = await iam.send(
      new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" }),
    );
    expect(view.Policy?.Path).toBe("/job-function/");
    const err = sdkErrorView(
      await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: "arn:aws:iam::aws:policy/NoSuchThing" }))),
    );
    expect(err).toMatchObject({ code: "NoSuchEntity", status: 404 });
  });

  test("a string that is not a policy ARN is InvalidInput 400", async () => {
    const err = sdkErrorView(
      await rejectionOf(iam.send(new GetPolicyCommand({ PolicyArn: "not-an-arn-at-all-really" }))),
    );
    expect(err).toMatchObject({ name: "InvalidInputException", code: "InvalidInput", status: 400 });
  });
});
