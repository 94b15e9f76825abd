import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { auth } from "../helpers/api.ts";
import { AZURE_RG, AZURE_USER, type Stack, settled, startStack } from "../helpers/stack.ts";

// Guarantees 2-4 end to end: API → queue → worker → real SDK → cloudsim → PostgreSQL → GET.
describe("grant → expiry → revoke through the whole system", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
    await s.startScheduler();
    await s.startWorker("aws");
    await s.startWorker("azure");
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const awsGrant = (
    principal: Record<string, string>,
    permission: Record<string, unknown>,
    duration = "PT1H",
  ) => ({
    provider: "aws",
    action: "grant",
    principal,
    permission,
    duration,
  });
  const users = () => s.cloud.aws.snapshot().users;

  test("AWS managed policy to a user, a role and a group: SUCCESS, visible in the cloud, not a stale cached PENDING", async () => {
    const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    const ids = [
      await s.submit(awsGrant({ type: "user", name: "alice" }, { type: "managed_policy", policy_arn: arn })),
      await s.submit(
        awsGrant({ type: "role", name: "batch-runner" }, { type: "managed_policy", policy_arn: arn }),
      ),
      await s.submit(
        awsGrant({ type: "group", name: "auditors" }, { type: "managed_policy", policy_arn: arn }),
      ),
    ];
    // Read once while PENDING so the cache holds it; the worker's DEL must make the next read fresh.
    await s.status(ids[0] ?? "");
    for (const id of ids) {
      const v = await s.waitFor(id, settled);
      expect(v.status).toBe("SUCCESS");
      expect(v.revocation_status).toBe("SCHEDULED");
      expect(v.completed_at).toBeString();
    }
    const snap = s.cloud.aws.snapshot();
    expect(snap.users.alice?.attachedPolicies).toContain(arn);
    expect(snap.roles["batch-runner"]?.attachedPolicies).toContain(arn);
    expect(snap.groups.auditors?.attachedPolicies).toContain(arn);
  });

  test("AWS group membership and inline policy", async () => {
    const g = await s.submit(
      awsGrant({ type: "user", name: "bob" }, { type: "group_membership", group: "developers" }),
    );
    const doc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    };
    const i = await s.submit(
      awsGrant(
        { type: "user", name: "bob" },
        { type: "inline_policy", policy_name: "read-s3", document: doc },
      ),
    );
    expect((await s.waitFor(g, settled)).status).toBe("SUCCESS");
    expect((await s.waitFor(i, settled)).status).toBe("SUCCESS");
    expect(users().bob?.groups).toContain("developers");
    expect(users().bob?.inlinePolicies["read-s3"]).toEqual(doc);
  });

  test("Azure role assignment: SUCCESS, assignment in ARM, revoked on time", async () => {
    const id = await s.submit({
      provider: "azure",
      action: "grant",
      principal: { id: AZURE_USER, type: "User" },
      role: { name: "Reader" },
      scope: AZURE_RG,
      duration: "PT3S",
    });
    const v = await s.waitFor(id, settled);
    expect(v.status).toBe("SUCCESS");
    const assignments = () =>
      s.cloud.azure.snapshot().roleAssignments.filter((a) => a.principalId.toLowerCase() === AZURE_USER);
    expect(assignments()).toHaveLength(1);
    const done = await s.waitFor(id, (x) => x.revocation_status !== "SCHEDULED", 15_000);
    expect(done.revocation_status).toBe("REVOKED");
    expect(assignments()).toHaveLength(0);
    const late = Date.parse(String(done.revoked_at)) - Date.parse(String(done.expires_at));
    expect(late).toBeLessThan(2500); // docs/design.md: within about two seconds of the expiry
  });

  test("a short AWS grant is revoked on time and GET shows it", async () => {
    const arn = "arn:aws:iam::aws:policy/SecurityAudit";
    const id = await s.submit(
      awsGrant({ type: "user", name: "carol" }, { type: "managed_policy", policy_arn: arn }, "PT2S"),
    );
    expect((await s.waitFor(id, settled)).status).toBe("SUCCESS");
    expect(users().carol?.attachedPolicies).toContain(arn);
    const done = await s.waitFor(id, (x) => x.revocation_status === "REVOKED", 15_000);
    expect(users().carol?.attachedPolicies).not.toContain(arn);
    expect(Date.parse(String(done.revoked_at)) - Date.parse(String(done.expires_at))).toBeLessThan(2500);
  });

  test("early revoke takes the access away now", async () => {
    const arn = "arn:aws:iam::aws:policy/PowerUserAccess";
    const id = await s.submit(
      awsGrant({ type: "user", name: "dave" }, { type: "managed_policy", policy_arn: arn }),
    );
    expect((await s.waitFor(id, settled)).status).toBe("SUCCESS");
    const res = await s.api.app.request(`/api/v1/requests/${id}/revoke`, { method: "POST", headers: auth() });
    expect(res.status).toBe(202);
    await s.waitFor(id, (x) => x.revocation_status === "REVOKED", 10_000);
    expect(users().dave?.attachedPolicies).not.toContain(arn);
    // A second early revoke of a finished grant is a conflict, not a second revocation.
    const again = await s.api.app.request(`/api/v1/requests/${id}/revoke`, {
      method: "POST",
      headers: auth(),
    });
    expect(again.status).toBe(409);
  });

  test("access that existed before the grant is never revoked", async () => {
    const arn = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
    s.cloud.aws.seedUser("frank", { attachedPolicies: [arn] });
    const id = await s.submit(
      awsGrant({ type: "user", name: "frank" }, { type: "managed_policy", policy_arn: arn }, "PT2S"),
    );
    expect((await s.waitFor(id, settled)).status).toBe("SUCCESS");
    const done = await s.waitFor(id, (x) => x.revocation_status !== "SCHEDULED", 15_000);
    expect(done.revocation_status).toBe("SKIPPED");
    expect(users().frank?.attachedPolicies).toContain(arn);
  });

  test("two overlapping grants: the access stays until the later one expires", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    const first = await s.submit(
      awsGrant({ type: "user", name: "erin" }, { type: "managed_policy", policy_arn: arn }, "PT2S"),
    );
    expect((await s.waitFor(first, settled)).status).toBe("SUCCESS");
    const second = await s.submit(
      awsGrant({ type: "user", name: "erin" }, { type: "managed_policy", policy_arn: arn }, "PT5S"),
    );
    expect((await s.waitFor(second, settled)).status).toBe("SUCCESS");

    const a = await s.waitFor(first, (x) => x.revocation_status !== "SCHEDULED", 15_000);
    expect(a.revocation_status).toBe("SKIPPED");
    expect(users().erin?.attachedPolicies).toContain(arn);
    const b = await s.waitFor(second, (x) => x.revocation_status !== "SCHEDULED", 15_000);
    expect(b.revocation_status).toBe("REVOKED");
    expect(users().erin?.attachedPolicies).not.toContain(arn);
  });

  test("Azure: overlapping grants keep the assignment until the later one expires", async () => {
    const body = (duration: string) => ({
      provider: "azure",
      action: "grant",
      principal: { id: AZURE_USER, type: "User" },
      role: { name: "Contributor" },
      scope: AZURE_RG,
      duration,
    });
    const contributor = () =>
      s.cloud.azure
        .snapshot()
        .roleAssignments.filter(
          (a) =>
            a.principalId.toLowerCase() === AZURE_USER &&
            a.roleDefinitionId.endsWith("b24988ac-6180-42a0-ab88-20f7382dd24c"),
        );
    const first = await s.submit(body("PT2S"));
    expect((await s.waitFor(first, settled)).status).toBe("SUCCESS");
    const second = await s.submit(body("PT5S"));
    expect((await s.waitFor(second, settled)).status).toBe("SUCCESS");
    expect(contributor()).toHaveLength(1); // the second grant found the first one's assignment

    const a = await s.waitFor(first, (x) => x.revocation_status !== "SCHEDULED", 15_000);
    expect(a.revocation_status).toBe("SKIPPED");
    expect(contributor()).toHaveLength(1);
    const b = await s.waitFor(second, (x) => x.revocation_status !== "SCHEDULED", 15_000);
    expect(b.revocation_status).toBe("REVOKED");
    expect(contributor()).toHaveLength(0);
  });

  test("a revoke request removes the access now and ends the active grant of it", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSSupportAccess";
    const principal = { type: "user", name: "bob" };
    const permission = { type: "managed_policy", policy_arn: arn };
    const granted = await s.submit(awsGrant(principal, permission));
    expect((await s.waitFor(granted, settled)).status).toBe("SUCCESS");
    expect(users().bob?.attachedPolicies).toContain(arn);

    const revoke = await s.submit({ provider: "aws", action: "revoke", principal, permission });
    expect((await s.waitFor(revoke, settled)).status).toBe("SUCCESS");
    expect(users().bob?.attachedPolicies).not.toContain(arn);
    const grant = await s.status(granted);
    expect(grant.revocation_status).toBe("REVOKED");
  });

  test("a permanent cloud error fails at once with the provider's code and message", async () => {
    const id = await s.submit(
      awsGrant(
        { type: "user", name: "nobody-here" },
        { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      ),
    );
    const v = await s.waitFor(id, settled);
    expect(v.status).toBe("FAILED");
    const err = v.error_details as { code: string; message: string; attempts: number };
    expect(err.code).toBe("NoSuchEntity");
    expect(err.message).toContain("nobody-here");
    expect(err.attempts).toBe(1);
  });

  test("throttling is retried, then SUCCESS", async () => {
    s.cloud.aws.faults.set({ failNext: 3 }); // the SDK's 2 tries eat two; the queue retries the rest
    const id = await s.submit(
      awsGrant(
        { type: "user", name: "alice" },
        { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess" },
      ),
    );
    const v = await s.waitFor(id, settled);
    expect(v.status).toBe("SUCCESS");
    const [retries] = await s.api.db.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM request_events WHERE correlation_id = ${id} AND kind = 'RETRY'`;
    expect(retries?.n).toBeGreaterThanOrEqual(1);
  });

  test("persistent throttling: FAILED after the attempts, the job on the dead list", async () => {
    s.cloud.aws.faults.set({ throttleRate: 1 });
    try {
      const id = await s.submit(
        awsGrant(
          { type: "user", name: "alice" },
          { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
        ),
      );
      const v = await s.waitFor(id, settled, 20_000);
      expect(v.status).toBe("FAILED");
      expect((v.error_details as { code: string }).code).toBe("Throttling");
      const dead = await s.api.r.redis.lrange("queue:aws:dead", 0, -1);
      expect(dead.some((d) => d.includes(id))).toBe(true);
    } finally {
      s.cloud.aws.faults.reset();
    }
  }, 30_000);
});
