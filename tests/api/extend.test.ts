import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { parsePolicyText } from "../../lib/policy/load.ts";
import type { Job } from "../../lib/queue/job.ts";
import { awsGrant, startWorkerHarness, type WorkerHarness } from "../fixtures/worker-harness.ts";
import { auth, type TestClient } from "../helpers/api.ts";

// Issue 11: extension of an active grant within the guardrails, the revocation moving with it,
// overlaps still ending at the last end; and the history of an early end. Real grants and
// revocations (worker handler, cloudsim through the SDK).
setDefaultTimeout(30_000);

const POLICY = `
clients:
  tester:
    providers: [aws]
    max_duration: PT4H
    aws: { policy_arns: ["**"], inline_policies: true }
  other:
    providers: [aws]
    aws: { policy_arns: ["**"] }
  operator:
    role: operator
    providers: [aws]
    aws: { policy_arns: ["**"] }
  auditor:
    role: auditor
  limited:
    providers: [aws]
    actions: [revoke]
    aws: { policy_arns: ["**"] }
`;
const ARN = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
let h: WorkerHarness;

beforeAll(async () => {
  h = await startWorkerHarness({ policy: parsePolicyText(POLICY, "yaml", "extend.yaml") });
});
afterAll(async () => {
  await h.close();
});

const extend = (id: string, body: unknown, as: TestClient = "tester") =>
  Promise.resolve(
    h.api.app.request(`/api/v1/requests/${id}/extend`, {
      method: "POST",
      headers: { ...auth(as), "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
const view = async (id: string, as: TestClient = "tester") =>
  (await (await h.api.get(`/api/v1/requests/${id}`, auth(as))).json()) as Record<string, unknown>;
const attached = (user: string) => h.cloud.aws.snapshot().users[user]?.attachedPolicies ?? [];

async function granted(user: string, duration = "PT1H", arn = ARN): Promise<string> {
  const { id, job } = await h.submit(awsGrant(user, arn, duration));
  await h.run(job);
  expect((await h.row(id)).status).toBe("SUCCESS");
  return id;
}
const endOf = async (id: string) => ((await h.row(id)).revoke_at as Date).getTime();

describe("extend", () => {
  test("by a duration: the end and the scheduled revocation move, the first expiry is kept", async () => {
    const id = await granted("alice");
    const before = await h.row(id);
    const res = await extend(id, { duration: "PT30M" });
    expect(res.status).toBe(200);
    const out = (await res.json()) as Record<string, string>;
    const newEnd = (before.revoke_at as Date).getTime() + 30 * 60_000;
    expect(Date.parse(out.revoke_at ?? "")).toBe(newEnd);
    expect(out.previous_end).toBe((before.revoke_at as Date).toISOString());
    expect(out.original_expires_at).toBe((before.expires_at as Date).toISOString());
    expect(await endOf(id)).toBe(newEnd);
    expect((await h.scheduledRevocation(id))?.dueMs).toBe(newEnd);
    expect(await h.events(id)).toContain("EXTENDED");
    const v = await view(id);
    expect(v).toMatchObject({
      expires_at: new Date(newEnd).toISOString(),
      revoke_at: new Date(newEnd).toISOString(),
      original_expires_at: (before.expires_at as Date).toISOString(),
      ended_by: null,
    });
  });

  test("to an instant; past max_duration or MAX_GRANT_DURATION from the original start: 403, nothing moves", async () => {
    const id = await granted("bob");
    const start = ((await h.row(id)).received_at as Date).getTime();
    const ok = await extend(id, { expires_at: new Date(start + 3.5 * 3600_000).toISOString() });
    expect(ok.status).toBe(200);
    const end = await endOf(id);
    // Past the client's max_duration (PT4H) counted from the grant's start, not from now.
    const tooLong = await extend(id, { expires_at: new Date(start + 4 * 3600_000 + 60_000).toISOString() });
    expect(tooLong.status).toBe(403);
    expect(((await tooLong.json()) as { rule: string }).rule).toBe("max_duration");
    // Steps add up to the same limit: one more hour from the current end is refused too.
    expect((await extend(id, { duration: "PT1H" })).status).toBe(403);
    expect(await endOf(id)).toBe(end);
    expect((await h.scheduledRevocation(id))?.dueMs).toBe(end);
    // The global maximum (7 days in the test API), for a client without max_duration.
    const posted = await h.api.post(awsGrant("carol", ARN), auth("other"));
    const o = ((await posted.json()) as { correlation_id: string }).correlation_id;
    await h.run(JSON.parse((await h.api.r.redis.rpop("queue:aws")) ?? "null") as Job);
    expect((await h.row(o)).status).toBe("SUCCESS");
    const past = await Promise.resolve(
      h.api.app.request(`/api/v1/requests/${o}/extend`, {
        method: "POST",
        headers: { ...auth("other"), "content-type": "application/json" },
        body: JSON.stringify({ duration: "P7D" }),
      }),
    );
    expect(past.status).toBe(403);
    const refused = (await past.json()) as { rule: string; detail: string };
    expect(refused.rule).toBe("max_grant_duration");
    expect(refused.detail).toContain("(rule max_grant_duration)");
    // Exactly the global maximum from the start is still allowed.
    const oStart = ((await h.row(o)).received_at as Date).getTime();
    const atLimit = await Promise.resolve(
      h.api.app.request(`/api/v1/requests/${o}/extend`, {
        method: "POST",
        headers: { ...auth("other"), "content-type": "application/json" },
        body: JSON.stringify({ expires_at: new Date(oStart + 7 * 24 * 3600_000).toISOString() }),
      }),
    );
    expect(atLimit.status).toBe(200);
  });

  test("refusals: role, ownership, guardrail action, bad body, earlier end, inactive grant", async () => {
    const id = await granted("dave");
    const end = await endOf(id);
    for (const as of ["operator", "auditor"] as const) {
      const r = await extend(id, { duration: "PT1M" }, as);
      expect(r.status).toBe(403);
      expect(((await r.json()) as { rule: string }).rule).toBe("role");
    }
    expect((await extend(id, { duration: "PT1M" }, "other")).status).toBe(404);
    expect((await extend("00000000-0000-4000-8000-000000000000", { duration: "PT1M" })).status).toBe(404);
    expect((await extend("not-a-uuid", { duration: "PT1M" })).status).toBe(400);
    for (const bad of [
      {},
      { duration: "PT1M", expires_at: new Date().toISOString() },
      { duration: "soon" },
      { x: 1 },
    ]) {
      const r = await extend(id, bad);
      expect(r.status).toBe(422);
    }
    expect((await extend(id, "{nope")).status).toBe(400);
    const earlier = await extend(id, { expires_at: new Date(end - 60_000).toISOString() });
    expect(earlier.status).toBe(422);
    expect(await endOf(id)).toBe(end);
    // Revoked early: no longer active.
    expect(
      (await h.api.app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers: auth() })).status,
    ).toBe(202);
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect((await extend(id, { duration: "PT1M" })).status).toBe(409);
  });

  test("refusal details: the same end names its field; a revoke request or an ended grant is not extendable", async () => {
    const id = await granted("erin");
    const end = await endOf(id);
    const same = await extend(id, { expires_at: new Date(end).toISOString() });
    expect(same.status).toBe(422);
    const problem = (await same.json()) as { detail: string; errors: { pointer: string; detail: string }[] };
    expect(problem.detail).toBe("the new end must be later than the grant's current end");
    expect(problem.errors).toEqual([
      { pointer: "/expires_at", detail: `must be later than the current end ${new Date(end).toISOString()}` },
    ]);
    await h.api.db.sql`UPDATE requests SET revocation_status = 'FAILED' WHERE correlation_id = ${id}`;
    const ended = await extend(id, { duration: "PT1M" });
    expect(ended.status).toBe(409);
    expect(((await ended.json()) as { detail: string }).detail).toBe(
      "only an active grant can be extended (status SUCCESS, revocation FAILED)",
    );
    await h.api.db.sql`UPDATE requests SET action = 'revoke' WHERE correlation_id = ${id}`;
    const notGrant = await extend(id, { duration: "PT1M" });
    expect(notGrant.status).toBe(409);
    expect(((await notGrant.json()) as { detail: string }).detail).toBe("only a grant can be extended");
  });

  test("a grant-less client (actions: [revoke]) may not extend its grant either: 403 rule actions", async () => {
    // Its grant exists only by another route: give one of tester's rows to it.
    const id = await granted("erin");
    await h.api.db.sql`UPDATE requests SET client = 'limited' WHERE correlation_id = ${id}`;
    const r = await extend(id, { duration: "PT1M" }, "limited");
    expect(r.status).toBe(403);
    expect(((await r.json()) as { rule: string }).rule).toBe("actions");
  });

  test("the old revocation job, if it fires at the old time, finds the end moved and puts itself back", async () => {
    const id = await granted("alice", "PT1H", "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess");
    const oldJob = (await h.scheduledRevocation(id))?.job as Job;
    // The revocation becomes due, and is promoted, just as an extension lands (Redis missed the move).
    await h.endNow(id);
    await h.api.db
      .sql`UPDATE requests SET revoke_at = now() + interval '2 hours', expires_at = now() + interval '2 hours'
                       WHERE correlation_id = ${id}`;
    await h.run(oldJob);
    expect(await h.row(id)).toMatchObject({ revocation_status: "SCHEDULED" });
    expect((await h.scheduledRevocation(id))?.dueMs).toBe(await endOf(id));
    expect(attached("alice")).toContain("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess");
  });
});

describe("extension and overlaps", () => {
  test("an extended grant still keeps the access for the other; it is revoked at the last end", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    const a = await granted("carol", "PT1H", arn);
    const b = await granted("carol", "PT2H", arn);
    expect((await h.row(b)).pre_existing).toBe(false);
    // a is extended past b.
    expect((await extend(a, { duration: "PT2H" })).status).toBe(200);
    expect(await endOf(a)).toBeGreaterThan(await endOf(b));
    // b ends first: a still needs the access, so b's revocation hands over.
    await h.endNow(b);
    await h.run((await h.scheduledRevocation(b))?.job as Job);
    expect(await h.row(b)).toMatchObject({ revocation_status: "SKIPPED" });
    expect(attached("carol")).toContain(arn);
    // a's (extended) end: the last one, so the access goes.
    await h.endNow(a);
    await h.run((await h.scheduledRevocation(a))?.job as Job);
    expect(await h.row(a)).toMatchObject({ revocation_status: "REVOKED" });
    expect(attached("carol")).not.toContain(arn);
  });

  test("pre-existing access stays pre-existing when extended: left in place at the end", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess";
    h.cloud.aws.seedUser("frank", { attachedPolicies: [arn] });
    const { id, job } = await h.submit(awsGrant("frank", arn));
    await h.run(job);
    expect((await h.row(id)).pre_existing).toBe(true);
    expect((await extend(id, { duration: "PT1H" })).status).toBe(200);
    expect((await h.row(id)).pre_existing).toBe(true);
    await h.endNow(id);
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    expect((await h.row(id)).revocation_status).toBe("SKIPPED");
    expect(attached("frank")).toContain(arn);
  });
});

describe("history of an early end", () => {
  test("an early revoke keeps expires_at and records who ended it and when", async () => {
    const id = await granted("bob", "PT3H", "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess");
    const expires = (await h.row(id)).expires_at as Date;
    const res = await h.api.app.request(`/api/v1/requests/${id}/revoke`, {
      method: "POST",
      headers: auth("operator"),
    });
    expect(res.status).toBe(202);
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    const v = await view(id);
    expect(v.expires_at).toBe(expires.toISOString());
    expect(v.original_expires_at).toBe(expires.toISOString());
    expect(Date.parse(String(v.revoke_at))).toBeLessThan(expires.getTime());
    expect(v.revocation_status).toBe("REVOKED");
    expect(v.ended_by).toMatchObject({ client: "operator", role: "operator", how: "early_revoke" });
    expect(Date.parse(String((v.ended_by as { at: string }).at))).toBeLessThanOrEqual(
      Date.parse(String(v.revoked_at)),
    );
  });

  test("a revoke request ends grants of the access and names itself; an inline policy goes by name alone", async () => {
    const doc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    };
    const grant = {
      provider: "aws",
      action: "grant",
      principal: { type: "user", name: "erin" },
      permission: { type: "inline_policy", policy_name: "ReadReports", document: doc },
      duration: "PT1H",
    };
    const g = await h.submit(grant);
    await h.run(g.job);
    expect(h.cloud.aws.snapshot().users.erin?.inlinePolicies).toHaveProperty("ReadReports");
    // No document on the revoke: the policy is removed by its name.
    const revoke = {
      provider: "aws",
      action: "revoke",
      principal: { type: "user", name: "erin" },
      permission: { type: "inline_policy", policy_name: "ReadReports" },
    };
    const r = await h.submit(revoke);
    await h.run(r.job);
    expect((await h.row(r.id)).status).toBe("SUCCESS");
    expect(h.cloud.aws.snapshot().users.erin?.inlinePolicies ?? {}).not.toHaveProperty("ReadReports");
    const v = await view(g.id);
    expect(v.revocation_status).toBe("REVOKED");
    expect(v.ended_by).toMatchObject({ how: "revoke_request", request: r.id, client: "tester" });
    // A grant still needs its document.
    const { document: _d, ...noDoc } = grant.permission;
    const bad = await h.api.post({ ...grant, permission: noDoc });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain("/permission/document");
  });
});
