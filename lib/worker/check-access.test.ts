import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { AttachUserPolicyCommand, DetachUserPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import { captureLog } from "../../tests/fixtures/queue-support.ts";
import {
  AZURE,
  awsGrant,
  azureGrant,
  useWorkerHarness,
  type WorkerHarness,
} from "../../tests/fixtures/worker-harness.ts";
import type { RequestRow } from "../db/requests.ts";
import { findRequest } from "../db/requests.ts";
import { createLogger, type Logger } from "../logging/logger.ts";
import { createIamClient } from "../providers/aws/create-iam-client.ts";
import { assignmentNameFor } from "../providers/azure/index.ts";
import { type Job, newJob } from "../queue/job.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { checkAccess } from "./check-access.ts";

// The drift sweep's look at one access, against real PostgreSQL and cloudsim through the SDKs.
let h: WorkerHarness;
/** Someone at the console: changes made through the IAM API, behind the bridge's back. */
let byHand: IAMClient;
const log = createLogger({ service: "test-drift", level: "silent" });
useWorkerHarness((started) => {
  h = started;
  byHand = createIamClient({
    region: "us-east-1",
    endpoint: h.cloud.awsUrl,
    credentials: { accessKeyId: "AKIAOPERATOR", secretAccessKey: "by-hand" },
  });
});
afterAll(() => {
  byHand.destroy();
});
const attachByHand = (user: string, arn: string) =>
  byHand.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
const detachByHand = (user: string, arn: string) =>
  byHand.send(new DetachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
beforeEach(() => {
  h.cloud.aws.faults.reset();
  h.cloud.aws.denyActions([]);
});

const attached = (user: string) => h.cloud.aws.snapshot().users[user]?.attachedPolicies ?? [];
const requests = () => h.cloud.aws.snapshot().requests;
const rowOf = async (id: string) => (await findRequest(h.api.db.sql, id)) as RequestRow;
const check = async (id: string, provider: "aws" | "azure" = "aws", logger: Logger = log) =>
  await checkAccess(h.deps(provider), logger, await rowOf(id));
/** The audit trail with each event's detail. */
const eventDetails = async (id: string) =>
  await h.api.db.sql<{ kind: string; to_status: string | null; detail: Record<string, unknown> | null }[]>`
    SELECT kind, to_status, detail FROM request_events WHERE correlation_id = ${id} ORDER BY id`;
const errorLines = (c: ReturnType<typeof captureLog>) => c.lines().filter((l) => l.level === "error");

/**
 * Takes the grant's revocation off the schedule, as the scheduler does when it queues it, and runs
 * it: what is on the schedule afterwards was put there since.
 */
async function runScheduledRevocation(id: string): Promise<unknown> {
  const scheduled = await h.scheduledRevocation(id);
  if (!scheduled) throw new Error(`no revocation scheduled for ${id}`);
  const members = await h.api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, "0", "-1");
  for (const m of members) {
    if ((JSON.parse(m) as Job).correlation_id === id) await h.api.r.redis.zrem(REVOCATION_SCHEDULE_KEY, m);
  }
  return await h.run(scheduled.job);
}

async function revoked(user: string, arn: string): Promise<string> {
  const { id, job } = await h.submit(awsGrant(user, arn));
  await h.run(job);
  await h.endNow(id);
  await runScheduledRevocation(id);
  expect((await h.row(id)).revocation_status).toBe("REVOKED");
  return id;
}

/** Moves a revocation an hour into the past: beyond the window where a late write of ours may have undone it. */
const revokedLongAgo = async (id: string) =>
  await h.api.db.sql`UPDATE requests SET revoked_at = now() - interval '1 hour' WHERE correlation_id = ${id}`;

describe("drift check", () => {
  test("access of ours back in the cloud after its revocation: detected, revoked again", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    const id = await revoked("alice", arn);
    await attachByHand("alice", arn); // put back behind the bridge's back
    const logged = captureLog();
    expect(await check(id, "aws", logged.log)).toBe("drift_detected");
    expect(await h.row(id)).toMatchObject({ revocation_status: "SCHEDULED", revoked_at: null });
    expect((await eventDetails(id)).at(-1)).toEqual({
      kind: "DRIFT_DETECTED",
      to_status: "SCHEDULED",
      detail: { by: "drift_sweep", present: true, ours: null },
    });
    // The alert: one error line naming the reopened obligation.
    expect(errorLines(logged)).toEqual([
      expect.objectContaining({
        msg: "DRIFT: access of ours still in the cloud; revoking again",
        reopened: [id],
      }),
    ]);
    // Back on the schedule, due now: the ordinary revocation removes it.
    expect((await h.scheduledRevocation(id))?.dueMs).toBeLessThanOrEqual(Date.now());
    await runScheduledRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(attached("alice")).not.toContain(arn);
  });

  test("AWS: access that reappears long after our revocation may be someone else's: reported, never removed", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSSupportAccess";
    const id = await revoked("carol", arn);
    await attachByHand("carol", arn); // an administrator grants it for good, an hour later
    await revokedLongAgo(id);
    const logged = captureLog();
    expect(
      await checkAccess(h.deps("aws", { driftRevokeAgainMs: 900_000 }), logged.log, await rowOf(id)),
    ).toBe("drift_unattributed");
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect((await eventDetails(id)).at(-1)).toEqual({
      kind: "DRIFT_DETECTED",
      to_status: null,
      detail: {
        by: "drift_sweep",
        present: true,
        ours: null,
        action: "left_in_place",
        reason: "the access reappeared after our revocation and the cloud cannot say who applied it",
      },
    });
    expect(errorLines(logged)).toEqual([]); // reported, not alerted: nothing of ours to fix
    expect(await h.scheduledRevocation(id)).toBeUndefined();
    expect(attached("carol")).toContain(arn);
    await detachByHand("carol", arn);
  });

  test("a FAILED revocation is retried by the sweep once the cloud lets it", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("bob", arn));
    await h.run(job);
    await h.endNow(id);
    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    await runScheduledRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("FAILED");
    h.cloud.aws.denyActions([]); // the operator fixed the bridge's IAM permissions
    expect(await check(id)).toBe("drift_detected");
    await runScheduledRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(attached("bob")).not.toContain(arn);
  });

  test("a FAILED revocation whose access is gone (removed by hand) is proven done, with no write", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("carol", arn));
    await h.run(job);
    await h.endNow(id);
    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    await runScheduledRevocation(id);
    h.cloud.aws.denyActions([]);
    await detachByHand("carol", arn);
    await h.api.get(`/api/v1/requests/${id}`); // a status read caches the FAILED revocation
    const before = requests();
    const logged = captureLog();
    expect(await check(id, "aws", logged.log)).toBe("confirmed_gone");
    expect(requests()).toEqual({
      ...before,
      ListAttachedUserPolicies: (before.ListAttachedUserPolicies ?? 0) + 1,
    });
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect((await eventDetails(id)).at(-1)).toEqual({
      kind: "REVOCATION",
      to_status: "REVOKED",
      detail: { by: "drift_sweep", present: false, ours: null, already_gone: true },
    });
    expect(errorLines(logged)).toEqual([]);
    // Proven done: nothing goes back on the schedule, and the cached FAILED is gone.
    expect(await h.scheduledRevocation(id)).toBeUndefined();
    const fresh = await h.api.get(`/api/v1/requests/${id}`);
    expect(fresh.headers.get("x-cache")).toBe("MISS");
  });

  test("an active grant whose access was removed out of band: DRIFT_MISSING, recorded once", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("dave", arn));
    await h.run(job);
    await detachByHand("dave", arn);
    const logged = captureLog();
    expect(await check(id, "aws", logged.log)).toBe("drift_missing");
    expect(errorLines(logged)).toEqual([]);
    expect(await check(id)).toBe("drift_missing");
    expect((await h.events(id)).filter((e) => e === "DRIFT_MISSING")).toHaveLength(1);
    expect((await h.row(id)).revocation_status).toBe("SCHEDULED");
  });

  test("in line with PostgreSQL: nothing changes", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("erin", arn));
    await h.run(job);
    const logged = captureLog();
    expect(await check(id, "aws", logged.log)).toBe("in_line");
    const other = await revoked("erin", "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess");
    expect(await check(other, "aws", logged.log)).toBe("in_line");
    expect(errorLines(logged)).toEqual([]);
  });

  test("long after our revocation, with nothing in the cloud: in line, nothing recorded", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
    h.cloud.aws.seedUser("hana");
    const id = await revoked("hana", arn);
    await revokedLongAgo(id);
    const eventsBefore = await h.events(id);
    expect(await check(id)).toBe("in_line");
    // A later grant of the same access, applied and active: the access is expected, still in line.
    const later = await h.submit(awsGrant("hana", arn));
    await h.run(later.job);
    expect(await check(later.id)).toBe("in_line");
    expect(await h.events(id)).toEqual(eventsBefore);
    expect((await h.events(later.id)).filter((e) => e.startsWith("DRIFT"))).toEqual([]);
  });

  test("a grant that found the access already there holds it: our earlier revocation is not reopened", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2FullAccess";
    h.cloud.aws.seedUser("ivan");
    const ours = await revoked("ivan", arn);
    await attachByHand("ivan", arn); // someone grants it for good
    const theirs = await h.submit(awsGrant("ivan", arn));
    await h.run(theirs.job);
    expect(await h.row(theirs.id)).toMatchObject({ status: "SUCCESS", pre_existing: true });
    expect(await check(ours)).toBe("in_line");
    expect((await h.row(ours)).revocation_status).toBe("REVOKED");
    expect(await h.scheduledRevocation(ours)).toBeUndefined();
    expect(attached("ivan")).toContain(arn);
    // Their access removed by hand: not ours, so not missing either.
    await detachByHand("ivan", arn);
    expect(await check(theirs.id)).toBe("in_line");
    expect((await h.events(theirs.id)).filter((e) => e.startsWith("DRIFT"))).toEqual([]);
  });

  test("access that was only ever someone else's stays in line after its grant ended", async () => {
    const arn = "arn:aws:iam::aws:policy/IAMFullAccess";
    h.cloud.aws.seedUser("judy", { attachedPolicies: [arn] });
    const { id, job } = await h.submit(awsGrant("judy", arn));
    await h.run(job);
    await h.endNow(id);
    await runScheduledRevocation(id);
    expect(await h.row(id)).toMatchObject({ pre_existing: true, revocation_status: "SKIPPED" });
    const eventsBefore = await h.events(id);
    expect(await check(id)).toBe("in_line");
    expect(await h.events(id)).toEqual(eventsBefore);
    expect(attached("judy")).toContain(arn);
  });

  test("a grant refused before its access was decided is not judged, and costs no call", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess";
    h.cloud.aws.seedUser("kim");
    const { id, job } = await h.submit(awsGrant("kim", arn));
    await h.endNow(id);
    await h.run(job); // refused: its end passed before a worker got to it
    expect(await h.row(id)).toMatchObject({ status: "FAILED", pre_existing: null });
    const before = requests();
    expect(await check(id)).toBe("skipped");
    expect(requests()).toEqual(before);
  });

  test("an access in motion (a grant of it being applied) is not judged, and costs no call", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess";
    const first = await revoked("alice", arn);
    const second = await h.submit(awsGrant("alice", arn));
    await h.api.db.sql`UPDATE requests SET status = 'PROCESSING', pre_existing = false,
                       revocation_status = 'SCHEDULED' WHERE correlation_id = ${second.id}`;
    const before = requests();
    expect(await check(first)).toBe("skipped");
    expect(requests()).toEqual(before);
  });

  test("Azure: an assignment someone else made after our revocation is not ours and stays", async () => {
    const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    const { id, job } = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(job);
    await h.endNow(id);
    await runScheduledRevocation(id);
    h.cloud.azure.seedRoleAssignment({
      scope: AZURE.scope,
      roleDefinitionId: READER,
      principalId: AZURE.user,
    });
    expect(await check(id, "azure")).toBe("in_line");
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(h.cloud.azure.snapshot().roleAssignments).toHaveLength(1);
    await revokedLongAgo(id); // and long after the revocation, still not ours: nothing recorded
    const eventsBefore = await h.events(id);
    expect(await check(id, "azure")).toBe("in_line");
    expect(await h.events(id)).toEqual(eventsBefore);
  });

  test("Azure: an assignment of ours that reappears long after our revocation is ours: revoked again", async () => {
    const role = h.cloud.azure.seedRoleDefinition({
      roleName: "Drift Auditor",
      assignableScopes: [AZURE.scope],
    });
    const { id, job } = await h.submit(azureGrant({ name: "Drift Auditor" }));
    await h.run(job);
    await h.endNow(id);
    await runScheduledRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    await revokedLongAgo(id);
    // A late write of ours: the assignment carries the name only our grant gives it.
    h.cloud.azure.seedRoleAssignment({
      name: assignmentNameFor(id),
      scope: AZURE.scope,
      roleDefinitionId: role.guid,
      principalId: AZURE.user,
    });
    const lookups = h.cloud.azure.snapshot().calls.roleDefinitionReads;
    expect(await check(id, "azure")).toBe("drift_detected");
    // The role's GUID stored at the grant is reused: the custom role name is not looked up again.
    expect(h.cloud.azure.snapshot().calls.roleDefinitionReads).toBe(lookups);
    expect((await eventDetails(id)).at(-1)?.detail).toEqual({ by: "drift_sweep", present: true, ours: true });
    await runScheduledRevocation(id);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(h.cloud.azure.snapshot().roleAssignments.filter((a) => a.name === assignmentNameFor(id))).toEqual(
      [],
    );
  });

  test("a check job runs through the ordinary handler", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess";
    const id = await revoked("bob", arn);
    await attachByHand("bob", arn);
    const job = newJob({ correlation_id: id, provider: "aws", kind: "check", request: null }, Date.now());
    expect(await h.run(job)).toBeUndefined();
    expect((await h.row(id)).revocation_status).toBe("SCHEDULED");
  });
});
