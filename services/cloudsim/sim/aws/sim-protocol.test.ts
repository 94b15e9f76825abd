import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { CreateUserCommand, GetUserCommand } from "@aws-sdk/client-iam";
import { type RunningIamSim, rejectionOf, sdkErrorView, startIamSim } from "./test-harness.ts";

const SIGV4 =
  "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef0123";

let run: RunningIamSim;
beforeEach(() => {
  run = startIamSim();
});
afterEach(() => run.stop());

function post(body: string, headers: Record<string, string> = { authorization: SIGV4 }): Promise<Response> {
  return fetch(`${run.endpoint}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", ...headers },
    body,
  });
}

describe("IAM Query API wire format", () => {
  test("a success is <XxxResponse><XxxResult> with the request id in the body and the x-amzn-requestid header", async () => {
    const res = await post("Action=CreateUser&Version=2010-05-08&UserName=alice");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/xml");
    const body = await res.text();
    const requestId = res.headers.get("x-amzn-requestid");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toStartWith(
      '<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User><Path>/</Path><UserName>alice</UserName><UserId>AIDA',
    );
    expect(body).toContain("<Arn>arn:aws:iam::123456789012:user/alice</Arn>");
    expect(body).toMatch(/<CreateDate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/CreateDate>/);
    expect(body).toEndWith(
      `</CreateUserResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></CreateUserResponse>`,
    );
  });

  test("an action without output has no Result element", async () => {
    run.sim.seedUser("alice");
    const res = await post(
      "Action=AttachUserPolicy&Version=2010-05-08&UserName=alice&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess",
    );
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(
      /^<AttachUserPolicyResponse xmlns="https:\/\/iam\.amazonaws\.com\/doc\/2010-05-08\/"><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/AttachUserPolicyResponse>$/,
    );
  });

  test("an error is an <ErrorResponse> with Type, Code, Message and RequestId, and IAM's status", async () => {
    const res = await post("Action=GetUser&Version=2010-05-08&UserName=ghost");
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toBe(
      '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>' +
        "<Code>NoSuchEntity</Code><Message>The user with name ghost cannot be found.</Message></Error>" +
        `<RequestId>${res.headers.get("x-amzn-requestid")}</RequestId></ErrorResponse>`,
    );
  });

  test("a request without SigV4 authorization is refused with 403 and changes nothing", async () => {
    const res = await post("Action=CreateUser&Version=2010-05-08&UserName=alice", {});
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>MissingAuthenticationToken</Code>");
    expect(run.sim.snapshot().users).toEqual({});
  });

  test("a malformed authorization header is IncompleteSignature", async () => {
    const res = await post("Action=CreateUser&Version=2010-05-08&UserName=alice", {
      authorization: "Bearer x",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("<Code>IncompleteSignature</Code>");
  });

  test("an unknown action or version is 400 InvalidAction", async () => {
    const unknown = await post("Action=LaunchRockets&Version=2010-05-08");
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain(
      "<Code>InvalidAction</Code><Message>Could not find operation LaunchRockets for version 2010-05-08</Message>",
    );
    const wrongVersion = await post("Action=GetUser&Version=2099-01-01&UserName=a");
    expect(wrongVersion.status).toBe(400);
    expect(await wrongVersion.text()).toContain("<Code>InvalidAction</Code>");
  });

  test("a GET with the parameters in the query string works too", async () => {
    run.sim.seedUser("bob");
    const res = await fetch(`${run.endpoint}/?Action=GetUser&Version=2010-05-08&UserName=bob`, {
      headers: { authorization: SIGV4 },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<UserName>bob</UserName>");
  });

  test("text is XML-escaped", async () => {
    const res = await post("Action=GetUser&Version=2010-05-08&UserName=a%26b");
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain("Value 'a&amp;b' at 'userName' failed to satisfy constraint");
  });
});

describe("the real SDK reads the simulator's responses", () => {
  test("request id and status reach $metadata", async () => {
    const out = await run.client().send(new CreateUserCommand({ UserName: "carol" }));
    expect(out.User?.UserName).toBe("carol");
    expect(out.User?.Arn).toBe("arn:aws:iam::123456789012:user/carol");
    expect(out.User?.CreateDate).toBeInstanceOf(Date);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("a ValidationError reaches the SDK as a 400 client fault", async () => {
    const err = sdkErrorView(
      await rejectionOf(run.client().send(new GetUserCommand({ UserName: "bad name!" }))),
    );
    expect(err.name).toBe("ValidationError");
    expect(err.code).toBe("ValidationError");
    expect(err.status).toBe(400);
    expect(err.message).toContain("Member must satisfy regular expression pattern");
  });

  test("the account id is configurable", async () => {
    const other = startIamSim({ accountId: "210987654321" });
    try {
      const out = await other.client().send(new CreateUserCommand({ UserName: "dave" }));
      expect(out.User?.Arn).toBe("arn:aws:iam::210987654321:user/dave");
    } finally {
      await other.stop();
    }
  });
});

describe("snapshot", () => {
  test("is plain JSON: it survives a JSON round trip unchanged", () => {
    const arn = run.sim.seedPolicy("s3-read", {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    run.sim.seedGroup("ops", { attachedPolicies: [arn] });
    run.sim.seedRole("deployer", {
      inlinePolicies: { p: { Statement: [{ Effect: "Deny", Action: "*", Resource: "*" }] } },
    });
    run.sim.seedUser("alice", {
      groups: ["ops"],
      attachedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    });
    const snap = run.sim.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.users.alice).toMatchObject({
      groups: ["ops"],
      attachedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    });
    expect(snap.groups.ops).toMatchObject({ members: ["alice"], attachedPolicies: [arn] });
    expect(snap.policies[arn]).toMatchObject({ name: "s3-read", attachmentCount: 1 });
    expect(snap.roles.deployer?.assumeRolePolicyDocument).toMatchObject({ Version: "2012-10-17" });
  });
});
