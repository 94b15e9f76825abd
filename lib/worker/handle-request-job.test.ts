import { describe, expect, test } from "bun:test";
import { captureLog } from "../../tests/fixtures/queue-support.ts";
import {
  AZURE,
  awsGrant,
  azureGrant,
  useWorkerHarness,
  type WorkerHarness,
} from "../../tests/fixtures/worker-harness.ts";
import { waitUntil } from "../../tests/helpers/spawn-service.ts";
import { expireGrantNow } from "../db/requests.ts";
import { ProviderError } from "../providers/types.ts";
import { type Job, newJob } from "../queue/job.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";
import { GiveUpError } from "./errors.ts";

// The worker's job handler, one job at a time, on real PostgreSQL, Redis and cloudsim (the real
// SDKs over HTTP/TLS, faults injected by the simulator). Each "repro" case failed before the
// revocation-obligation model (docs/revocation.md).
let h: WorkerHarness;
useWorkerHarness((started) => {
  h = started;
});

const RO = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const attached = (user: string) => h.cloud.aws.snapshot().users[user]?.attachedPolicies ?? [];
const requests = (action: string) => h.cloud.aws.snapshot().requests[action] ?? 0;
const azureAssignments = (roleGuid: string) =>
  h.cloud.azure
    .snapshot()
    .roleAssignments.filter((a) => a.principalId === AZURE.user && a.roleDefinitionId.endsWith(roleGuid));
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/** Runs the grant's revocation from the schedule, as the scheduler and a worker would. */
async function runRevocation(id: string): Promise<unknown> {
  const scheduled = await h.scheduledRevocation(id);
  if (!scheduled) throw new Error(`no revocation scheduled for ${id}`);
  return await h.run(scheduled.job);
}

describe("grant", () => {
  test("one read and one write per grant; SUCCESS opens the obligation before the write", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSBillingReadOnlyAccess";
    const [list, attach] = [requests("ListAttachedUserPolicies"), requests("AttachUserPolicy")];
    const { id, job } = await h.submit(awsGrant("alice", arn));
    expect(await h.run(job)).toBeUndefined();
    const row = await h.row(id);
    expect(row).toMatchObject({ status: "SUCCESS", pre_existing: false, revocation_status: "SCHEDULED" });
    expect(requests("ListAttachedUserPolicies") - list).toBe(1);
    expect(requests("AttachUserPolicy") - attach).toBe(1);
    expect(await h.events(id)).toEqual([
      "RECEIVED:PENDING",
      "STATUS:PROCESSING",
      "OBLIGATION_OPENED",
      "STATUS:SUCCESS",
    ]);
    expect(await h.scheduledRevocation(id)).toBeDefined();
  });

  test("a status cached while the grant was in flight is gone the moment it succeeds", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("carol", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(job)).toBeInstanceOf(RetryJobError);
    const cached = await h.api.get(`/api/v1/requests/${id}`);
    expect(((await cached.json()) as { status: string }).status).toBe("PROCESSING");
    expect((await h.api.get(`/api/v1/requests/${id}`)).headers.get("x-cache")).toBe("HIT");
    await h.run({ ...job, attempt: 1 });
    // Within the cached entry's TTL: only the worker's DEL makes this read fresh.
    const fresh = await h.api.get(`/api/v1/requests/${id}`);
    expect(fresh.headers.get("x-cache")).toBe("MISS");
    expect(((await fresh.json()) as { status: string }).status).toBe("SUCCESS");
  });

  test("grants for one principal decided at once share one listing of its policies", async () => {
    const arns = ["AmazonS3ReadOnlyAccess", "AmazonSQSReadOnlyAccess", "AmazonSNSReadOnlyAccess"].map(
      (n) => `arn:aws:iam::aws:policy/${n}`,
    );
    h.cloud.aws.seedUser("shared-reader"); // this test's own user: its grants stay active
    const jobs = [];
    for (const arn of arns) jobs.push((await h.submit(awsGrant("shared-reader", arn))).job);
    h.cloud.aws.faults.set({ latencyMs: 150 }); // every call slow enough for the three to overlap
    const lists = requests("ListAttachedUserPolicies");
    await Promise.all(jobs.map((j) => h.run(j)));
    expect(requests("ListAttachedUserPolicies") - lists).toBe(1);
    for (const arn of arns) expect(attached("shared-reader")).toContain(arn);
  });

  test("a duplicate delivery changes nothing, and a job of another chain does nothing", async () => {
    const arn = "arn:aws:iam::aws:policy/SecurityAudit";
    const { id, job } = await h.submit(awsGrant("bob", arn));
    await h.run(job);
    const before = h.cloud.aws.snapshot().requests;
    const eventsBefore = await h.events(id);
    await h.run(job);
    await h.run({ ...job, id: "another-copy" });
    expect(h.cloud.aws.snapshot().requests).toEqual(before);
    expect(await h.events(id)).toEqual(eventsBefore);
  });

  test("a job whose row does not exist is dropped without touching the cloud", async () => {
    const before = h.cloud.aws.snapshot().requests;
    const job = newJob(
      { correlation_id: crypto.randomUUID(), provider: "aws", kind: "grant", request: awsGrant("carol", RO) },
      Date.now(),
    );
    expect(await h.run(job)).toBeUndefined();
    expect(h.cloud.aws.snapshot().requests).toEqual(before);
  });

  test("a grant whose end passed before a worker got to it is refused, not applied, and owes nothing", async () => {
    const arn = "arn:aws:iam::aws:policy/PowerUserAccess";
    const { id, job } = await h.submit(awsGrant("carol", arn));
    await h.endNow(id);
    await h.run(job);
    const r = await h.row(id);
    expect(r).toMatchObject({ status: "FAILED", revocation_status: null, pre_existing: null });
    expect((r.error_details as { code: string }).code).toBe("expired_before_processing");
    expect(attached("carol")).not.toContain(arn);
  });

  test("access that was there before is recorded and not written again; its end is SKIPPED", async () => {
    const arn = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
    h.cloud.aws.seedUser("frank", { attachedPolicies: [arn] });
    const attach = requests("AttachUserPolicy");
    const { id, job } = await h.submit(awsGrant("frank", arn));
    await h.run(job);
    expect(await h.row(id)).toMatchObject({ status: "SUCCESS", pre_existing: true });
    expect(requests("AttachUserPolicy")).toBe(attach);
    await h.endNow(id);
    await runRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("SKIPPED");
    expect(attached("frank")).toContain(arn);
  });
});

describe("repro: a grant that ends FAILED after its access reached the cloud is revoked", () => {
  test("the attach was applied but its reply lost, then throttled until the attempts ran out", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("alice", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(job)).toBeInstanceOf(RetryJobError);
    expect(attached("alice")).toContain(arn); // applied, though the worker never heard
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "throttle" }] });
    expect(await h.run({ ...job, attempt: 1 })).toBeInstanceOf(RetryJobError);
    expect(await h.run({ ...job, attempt: 2 })).toBeInstanceOf(GiveUpError);
    const failed = await h.row(id);
    expect(failed).toMatchObject({ status: "FAILED", pre_existing: false, revocation_status: "SCHEDULED" });
    expect((failed.error_details as { code: string }).code).toBe("Throttling");
    // The compensating revoke is due now and removes what the lost attach applied.
    const scheduled = await h.scheduledRevocation(id);
    expect(scheduled?.dueMs).toBeLessThanOrEqual(Date.now() + 1000);
    h.cloud.aws.faults.reset();
    expect(await runRevocation(id)).toBeUndefined();
    expect(await h.row(id)).toMatchObject({ status: "FAILED", revocation_status: "REVOKED" });
    expect(attached("alice")).not.toContain(arn);
  });

  test("a grant whose end passed while an earlier attempt may have applied it: FAILED, and revoked", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("bob", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(job)).toBeInstanceOf(RetryJobError);
    await h.endNow(id);
    await h.run({ ...job, attempt: 1 });
    const r = await h.row(id);
    expect(r).toMatchObject({ status: "FAILED", revocation_status: "SCHEDULED" });
    expect((r.error_details as { code: string }).code).toBe("expired_during_processing");
    await runRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(attached("bob")).not.toContain(arn);
  });

  test("a permanent error also keeps the obligation: the revoke finds nothing and proves it gone", async () => {
    const { id, job } = await h.submit(awsGrant("carol", "arn:aws:iam::123456789012:policy/does-not-exist"));
    expect(await h.run(job)).toBeInstanceOf(GiveUpError);
    expect(await h.row(id)).toMatchObject({ status: "FAILED", revocation_status: "SCHEDULED" });
    await runRevocation(id);
    const r = await h.row(id);
    expect(r.revocation_status).toBe("REVOKED");
  });
});

describe("repro: overlapping grants while one is still PROCESSING", () => {
  test("a grant processed while another of the same access is in flight is ours, not pre-existing", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";
    const first = await h.submit(awsGrant("dave", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(first.job)).toBeInstanceOf(RetryJobError); // PROCESSING, applied
    const second = await h.submit(awsGrant("dave", arn));
    const lists = requests("ListAttachedUserPolicies");
    await h.run(second.job);
    expect(await h.row(second.id)).toMatchObject({ status: "SUCCESS", pre_existing: false });
    expect(requests("ListAttachedUserPolicies")).toBe(lists); // the open obligation answered, not the cloud

    // The first one fails for good: its compensating revoke hands over to the second, which still needs it.
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "throttle" }] });
    await h.run({ ...first.job, attempt: 2 });
    h.cloud.aws.faults.reset();
    await runRevocation(first.id);
    expect((await h.row(first.id)).revocation_status).toBe("SKIPPED");
    expect(attached("dave")).toContain(arn);
    await h.endNow(second.id);
    await runRevocation(second.id);
    expect((await h.row(second.id)).revocation_status).toBe("REVOKED");
    expect(attached("dave")).not.toContain(arn);
  });
});

describe("repro: revocations retry transient errors without end", () => {
  test("a long throttling burst (more tries than a grant gets) ends REVOKED, honouring Retry-After", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("erin", arn));
    await h.run(job);
    expect(attached("erin")).toContain(arn);
    await h.endNow(id);
    h.cloud.aws.faults.set({
      rules: [{ action: "DetachUserPolicy", mode: "throttle", count: 8, retryAfterSeconds: 2 }],
    });
    const revocation = (await h.scheduledRevocation(id))?.job as Job;
    for (let attempt = 0; attempt < 8; attempt++) {
      const thrown = await h.run({ ...revocation, attempt });
      expect(thrown).toBeInstanceOf(RetryJobError);
      // Capped backoff (1 s in this harness), never below the cloud's own hint.
      expect((thrown as RetryJobError).delayMs).toBeGreaterThanOrEqual(2000);
      expect((await h.row(id)).revocation_status).toBe("SCHEDULED");
    }
    expect(await h.run({ ...revocation, attempt: 8 })).toBeUndefined();
    const r = await h.row(id);
    expect(r).toMatchObject({ revocation_status: "REVOKED", revocation_attempts: 9 });
    expect(attached("erin")).not.toContain(arn);
  });

  test("while one chain holds a revocation, a duplicate job of another chain makes no cloud call", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("alice", arn));
    await h.run(job);
    expect(attached("alice")).toContain(arn);
    await h.endNow(id);
    h.cloud.aws.faults.set({ rules: [{ action: "DetachUserPolicy", mode: "throttle", count: 1 }] });
    const revocation = (await h.scheduledRevocation(id))?.job as Job;
    expect(await h.run(revocation)).toBeInstanceOf(RetryJobError);
    const detaches = requests("DetachUserPolicy");
    expect(await h.run({ ...revocation, id: "r-duplicate" })).toBeUndefined();
    expect(requests("DetachUserPolicy")).toBe(detaches);
    expect(await h.run({ ...revocation, attempt: 1 })).toBeUndefined();
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
  });

  test("a permanent error ends it FAILED, visible; the cloud's code is kept", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("bob", arn));
    await h.run(job);
    expect(attached("bob")).toContain(arn);
    await h.endNow(id);
    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    try {
      expect(await runRevocation(id)).toBeInstanceOf(GiveUpError);
    } finally {
      h.cloud.aws.denyActions([]);
    }
    const r = await h.row(id);
    expect(r.revocation_status).toBe("FAILED");
    expect((r.revocation_error as { code: string }).code).toBe("AccessDenied");
    expect(attached("bob")).toContain(arn); // still there: the drift sweep's business now
  });
});

describe("repro: Azure overlaps end right whichever grant ends first", () => {
  test("the later grant ends first: the assignment stays for the first, then goes", async () => {
    const first = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(first.job);
    const second = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(second.job); // 409 RoleAssignmentExists: the first one's assignment holds it
    expect(azureAssignments(READER)).toHaveLength(1);
    await expireGrantNow(h.api.db.sql, second.id, { client: "tester", role: "submitter" });
    await runRevocation(second.id);
    expect((await h.row(second.id)).revocation_status).toBe("SKIPPED");
    expect(azureAssignments(READER)).toHaveLength(1);
    await h.endNow(first.id);
    await runRevocation(first.id);
    expect((await h.row(first.id)).revocation_status).toBe("REVOKED");
    expect(azureAssignments(READER)).toHaveLength(0);
  });

  test("the first grant ends first: the second removes the assignment the first created", async () => {
    const first = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(first.job);
    const second = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(second.job);
    await h.endNow(first.id);
    await runRevocation(first.id);
    expect((await h.row(first.id)).revocation_status).toBe("SKIPPED");
    await h.endNow(second.id);
    await runRevocation(second.id);
    expect((await h.row(second.id)).revocation_status).toBe("REVOKED");
    expect(azureAssignments(READER)).toHaveLength(0);
  });

  test("someone else's assignment is never removed, whatever our grants do", async () => {
    const theirs = h.cloud.azure.seedRoleAssignment({
      scope: AZURE.scope,
      roleDefinitionId: READER,
      principalId: AZURE.user,
    });
    const g = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(g.job);
    expect(await h.row(g.id)).toMatchObject({ status: "SUCCESS", pre_existing: true });
    await h.endNow(g.id);
    await runRevocation(g.id);
    expect(azureAssignments(READER).map((a) => a.name)).toEqual([theirs.name]);
    h.cloud.azure.reset();
    h.cloud.azure.seedPrincipals({ id: AZURE.user, type: "User" });
  });
});

describe("repro: one access spelled two ways is one access", () => {
  test("Azure role by name and by definition id: the first end does not remove what the second needs", async () => {
    const byName = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(byName.job);
    const byId = await h.submit(azureGrant({ definition_id: READER.toUpperCase() }));
    await h.run(byId.job);
    const [a, b] = [await h.row(byName.id), await h.row(byId.id)];
    expect(a.access_key).toBe(b.access_key);
    expect(b.pre_existing).toBe(false);
    await h.endNow(byName.id);
    await runRevocation(byName.id);
    expect(azureAssignments(READER)).toHaveLength(1);
    await h.endNow(byId.id);
    await runRevocation(byId.id);
    expect(azureAssignments(READER)).toHaveLength(0);
  });

  test("a custom role name is resolved to its GUID before anything is decided", async () => {
    const custom = h.cloud.azure.seedRoleDefinition({
      roleName: "Payments Auditor",
      assignableScopes: [AZURE.scope],
    });
    const byName = await h.submit(azureGrant({ name: "payments auditor" }));
    await h.run(byName.job);
    const byId = await h.submit(azureGrant({ definition_id: custom.guid }));
    await h.run(byId.job);
    expect((await h.row(byName.id)).access_key).toBe((await h.row(byId.id)).access_key);
    expect((await h.row(byId.id)).pre_existing).toBe(false);
  });

  test("AWS: principal case is one access; a policy ARN in another case is another (absent) policy", async () => {
    const a = await h.submit(awsGrant("Carol", "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"));
    const b = await h.submit(awsGrant("carol", "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess"));
    const c = await h.submit(awsGrant("carol", "arn:aws:iam::aws:policy/amazondynamodbreadonlyaccess"));
    expect((await h.row(a.id)).access_key).toBe((await h.row(b.id)).access_key);
    expect((await h.row(c.id)).access_key).not.toBe((await h.row(a.id)).access_key);
  });
});

// IAM resolves a policy ARN only as written (cloudsim too): "…/readonlyaccess" is no policy at all,
// so its attach fails and its detach finds nothing. Found by the revocation model (seed 2033).
describe("repro: a policy ARN spelled in another case is not the same access", () => {
  test("an applied grant's obligation is not handed to a grant of the other spelling, which cannot remove it", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    const applied = await h.submit(awsGrant("alice", arn));
    await h.run(applied.job);
    expect(attached("alice")).toContain(arn);
    // The other spelling is in flight (throttled) when the applied grant ends.
    const other = await h.submit(awsGrant("alice", arn.toLowerCase()));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "throttle" }] });
    expect(await h.run(other.job)).toBeInstanceOf(RetryJobError);
    await h.endNow(applied.id);
    await runRevocation(applied.id);
    h.cloud.aws.faults.reset();
    expect(await h.run({ ...other.job, attempt: 1 })).toBeInstanceOf(GiveUpError); // NoSuchEntity
    await runRevocation(other.id);
    expect((await h.row(other.id)).revocation_status).toBe("REVOKED");
    expect((await h.row(applied.id)).revocation_status).toBe("REVOKED"); // was SKIPPED, kept_for the other
    expect(attached("alice")).not.toContain(arn); // was left behind
  });

  test("pre-existing access is not taken for ours because a grant of the other spelling is open", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSSupportAccess";
    h.cloud.aws.seedUser("gina", { attachedPolicies: [arn] });
    const other = await h.submit(awsGrant("gina", arn.toLowerCase()));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "throttle" }] });
    expect(await h.run(other.job)).toBeInstanceOf(RetryJobError); // its obligation is open
    h.cloud.aws.faults.reset();
    const same = await h.submit(awsGrant("gina", arn));
    await h.run(same.job);
    expect(await h.row(same.id)).toMatchObject({ status: "SUCCESS", pre_existing: true }); // was false
    await h.endNow(same.id);
    await h.endNow(other.id);
    await h.run({ ...other.job, attempt: 1 });
    await runRevocation(other.id);
    await runRevocation(same.id);
    expect((await h.row(same.id)).revocation_status).toBe("SKIPPED");
    expect(attached("gina")).toContain(arn); // was removed: someone else's access
  });
});

describe("revoke requests", () => {
  test("end finished grants now, and move the end of one still in flight so it revokes right after", async () => {
    const arn = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess";
    const done = await h.submit(awsGrant("erin", arn));
    await h.run(done.job);
    expect(attached("erin")).toContain(arn);
    const inFlight = await h.submit(awsGrant("erin", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(inFlight.job)).toBeInstanceOf(RetryJobError);
    const revoke = await h.submit({
      provider: "aws",
      action: "revoke",
      principal: { type: "user", name: "erin" },
      permission: { type: "managed_policy", policy_arn: arn },
    });
    await h.run(revoke.job);
    expect((await h.row(done.id)).revocation_status).toBe("REVOKED");
    expect(attached("erin")).not.toContain(arn);
    // The grant in flight: its retry finds its end passed, fails, and its obligation revokes.
    await h.run({ ...inFlight.job, attempt: 1 });
    expect(await h.row(inFlight.id)).toMatchObject({ status: "FAILED", revocation_status: "SCHEDULED" });
    await runRevocation(inFlight.id);
    expect((await h.row(inFlight.id)).revocation_status).toBe("REVOKED");
    expect(attached("erin")).not.toContain(arn);
  });
});

describe("a request that keeps coming back", () => {
  test("past the handling cap it is FAILED attempts_exhausted, keeping its obligation", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("dave", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply" }] });
    // Each new job chain (as the reconciler would queue) handles it once more.
    for (let n = 0; n < 3; n++) {
      expect(
        await h.run({ ...job, id: `chain-${n}` }, "aws", { maxHandlings: 3, leaseMs: 1 }),
      ).toBeInstanceOf(RetryJobError);
      // The chain's lease (its retry delay + 1 ms) lapses, as when its job was lost.
      await waitUntil(async () => {
        const [r] = await h.api.db.sql<{ free: boolean }[]>`
          SELECT lease_until < now() AS free FROM requests WHERE correlation_id = ${id}`;
        return r?.free === true;
      }, "the lease to lapse");
    }
    h.cloud.aws.faults.reset();
    expect(await h.run({ ...job, id: "chain-3" }, "aws", { maxHandlings: 3 })).toBeUndefined();
    const r = await h.row(id);
    expect(r).toMatchObject({ status: "FAILED", revocation_status: "SCHEDULED", attempts: 4 });
    expect((r.error_details as { code: string }).code).toBe("attempts_exhausted");
    await runRevocation(id);
    expect(attached("dave")).not.toContain(arn);
  });
});

/** The detail of each REVOCATION-ish event of a request, oldest first. */
async function revocationEvents(id: string): Promise<{ kind: string; to: string | null; detail: unknown }[]> {
  return await h.api.db.sql<{ kind: string; to: string | null; detail: unknown }[]>`
    SELECT kind, to_status AS to, detail FROM request_events
    WHERE correlation_id = ${id} AND kind IN ('REVOCATION', 'REVOCATION_RETRY') ORDER BY id`;
}

describe("revocation outcomes say why, in the audit trail", () => {
  test("an old copy of a revocation whose end moved later does nothing and gives the row back", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    h.cloud.aws.seedUser("rv-gina");
    const { id, job } = await h.submit(awsGrant("rv-gina", arn));
    await h.run(job);
    const early = (await h.scheduledRevocation(id))?.job as Job; // due in two hours, not now
    const detaches = requests("DetachUserPolicy");
    expect(await h.run(early)).toBeUndefined();
    expect(requests("DetachUserPolicy")).toBe(detaches);
    expect(attached("rv-gina")).toContain(arn);
    expect(await h.row(id)).toMatchObject({ revocation_status: "SCHEDULED", lease_job: null });
    expect(await h.scheduledRevocation(id)).toBeDefined();
  });

  test("SKIPPED for access that was there before, REVOKED with whether it was already gone", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    h.cloud.aws.seedUser("rv-hank", { attachedPolicies: [arn] });
    const pre = await h.submit(awsGrant("rv-hank", arn));
    await h.run(pre.job);
    await h.endNow(pre.id);
    await runRevocation(pre.id);
    expect(await revocationEvents(pre.id)).toEqual([
      { kind: "REVOCATION", to: "SKIPPED", detail: { reason: "access existed before the grant" } },
    ]);

    h.cloud.aws.seedUser("rv-ivan");
    const ours = await h.submit(awsGrant("rv-ivan", arn));
    await h.run(ours.job);
    await h.endNow(ours.id);
    await runRevocation(ours.id);
    expect(await revocationEvents(ours.id)).toEqual([
      { kind: "REVOCATION", to: "REVOKED", detail: { already_gone: false } },
    ]);
    expect((await h.row(ours.id)).revocation_attempts).toBe(1);
  });

  test("SKIPPED, touching nothing, for an obligation whose grant ended before the ownership decision", async () => {
    // A row from before pre_existing was decided (older data, or a grant that failed first):
    // nothing says the access is ours, so nothing is removed.
    const arn = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";
    h.cloud.aws.seedUser("rv-lena", { attachedPolicies: [arn] });
    const { id, job } = await h.submit(awsGrant("rv-lena", arn));
    await h.api.db.sql`
      UPDATE requests SET status = 'FAILED', revocation_status = 'SCHEDULED', pre_existing = NULL,
                          revoke_at = now()
      WHERE correlation_id = ${id}`;
    const before = h.cloud.aws.snapshot().requests;
    expect(await h.run({ ...job, kind: "revoke" })).toBeUndefined();
    expect(await revocationEvents(id)).toEqual([
      { kind: "REVOCATION", to: "SKIPPED", detail: { reason: "the grant never reached the cloud" } },
    ]);
    expect(h.cloud.aws.snapshot().requests).toEqual(before);
    expect(attached("rv-lena")).toContain(arn);
    expect(await h.row(id)).toMatchObject({ revocation_status: "SKIPPED" });
  });

  test("SKIPPED while an overlapping grant of ours still needs the access, naming it", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess";
    h.cloud.aws.seedUser("rv-jane");
    const first = await h.submit(awsGrant("rv-jane", arn));
    await h.run(first.job);
    const second = await h.submit(awsGrant("rv-jane", arn));
    await h.run(second.job);
    await h.endNow(first.id);
    await runRevocation(first.id);
    expect(await revocationEvents(first.id)).toEqual([
      {
        kind: "REVOCATION",
        to: "SKIPPED",
        detail: { reason: "an overlapping grant still needs this access", kept_for: second.id },
      },
    ]);
    expect(attached("rv-jane")).toContain(arn);
  });

  test("a transient error is audited with its delay and chain; a permanent one FAILED, counted, alerted", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    h.cloud.aws.seedUser("rv-kate");
    const { id, job } = await h.submit(awsGrant("rv-kate", arn));
    await h.run(job);
    await h.endNow(id);
    const revocation = (await h.scheduledRevocation(id))?.job as Job;
    h.cloud.aws.faults.set({ rules: [{ action: "DetachUserPolicy", mode: "throttle", count: 1 }] });
    const retryErr = await h.run(revocation);
    expect(retryErr).toBeInstanceOf(RetryJobError);
    expect((retryErr as Error).cause).toBeInstanceOf(ProviderError);
    const [retry] = await revocationEvents(id);
    expect(retry).toMatchObject({ kind: "REVOCATION_RETRY", detail: { chain: revocation.id, attempts: 1 } });
    expect((retry!.detail as { delay_ms: number }).delay_ms).toBeGreaterThan(0);

    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    const captured = captureLog();
    let err: unknown;
    try {
      err = await h.run({ ...revocation, attempt: 1 }, "aws", { log: captured.log });
    } finally {
      h.cloud.aws.denyActions([]);
    }
    expect(err).toBeInstanceOf(GiveUpError);
    expect((err as Error).message).toBe("revocation failed: AccessDenied");
    expect((err as Error).cause).toBeInstanceOf(ProviderError);
    const r = await h.row(id);
    expect(r.revocation_status).toBe("FAILED");
    expect(r.revocation_attempts).toBe(2);
    expect((r.revocation_error as { attempts: number }).attempts).toBe(2);
    // The line an operator's alert matches on, with what the cloud said.
    const alert = captured.lines().find((l) => l.msg === "REVOCATION FAILED: access may still be in place");
    expect(alert).toMatchObject({ level: "error", error_details: { code: "AccessDenied" } });
  });
});
