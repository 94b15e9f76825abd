import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { AttachUserPolicyCommand, DetachUserPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import {
  AZURE,
  awsGrant,
  azureGrant,
  startWorkerHarness,
  type WorkerHarness,
} from "../../tests/fixtures/worker-harness.ts";
import type { RequestRow } from "../db/requests.ts";
import { findRequest } from "../db/requests.ts";
import { createLogger } from "../logging/logger.ts";
import { createIamClient } from "../providers/aws/create-iam-client.ts";
import { type Job, newJob } from "../queue/job.ts";
import { checkAccess } from "./check-access.ts";

// The drift sweep's look at one access, against real PostgreSQL and cloudsim through the SDKs.
let h: WorkerHarness;
/** Someone at the console: changes made through the IAM API, behind the bridge's back. */
let byHand: IAMClient;
const log = createLogger({ service: "test-drift", level: "silent" });
beforeAll(async () => {
  h = await startWorkerHarness();
  byHand = createIamClient({
    region: "us-east-1",
    endpoint: h.cloud.awsUrl,
    credentials: { accessKeyId: "AKIAOPERATOR", secretAccessKey: "by-hand" },
  });
});
afterAll(async () => {
  byHand.destroy();
  await h.close();
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
const check = async (id: string, provider: "aws" | "azure" = "aws") =>
  await checkAccess(h.deps(provider), log, await rowOf(id));

async function revoked(user: string, arn: string): Promise<string> {
  const { id, job } = await h.submit(awsGrant(user, arn));
  await h.run(job);
  await h.endNow(id);
  await h.run((await h.scheduledRevocation(id))?.job as Job);
  expect((await h.row(id)).revocation_status).toBe("REVOKED");
  return id;
}

describe("drift check", () => {
  test("access of ours back in the cloud after its revocation: detected, revoked again", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    const id = await revoked("alice", arn);
    await attachByHand("alice", arn); // put back behind the bridge's back
    expect(await check(id)).toBe("drift_detected");
    expect(await h.row(id)).toMatchObject({ revocation_status: "SCHEDULED", revoked_at: null });
    expect(await h.events(id)).toContain("DRIFT_DETECTED:SCHEDULED");
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(attached("alice")).not.toContain(arn);
  });

  test("AWS: access that reappears long after our revocation may be someone else's: reported, never removed", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSSupportAccess";
    const id = await revoked("carol", arn);
    await attachByHand("carol", arn); // an administrator grants it for good, an hour later
    await h.api.db
      .sql`UPDATE requests SET revoked_at = now() - interval '1 hour' WHERE correlation_id = ${id}`;
    expect(await checkAccess(h.deps("aws", { driftRevokeAgainMs: 900_000 }), log, await rowOf(id))).toBe(
      "drift_unattributed",
    );
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(await h.events(id)).toContain("DRIFT_DETECTED");
    expect(attached("carol")).toContain(arn);
    await detachByHand("carol", arn);
  });

  test("a FAILED revocation is retried by the sweep once the cloud lets it", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("bob", arn));
    await h.run(job);
    await h.endNow(id);
    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    expect((await h.row(id)).revocation_status).toBe("FAILED");
    h.cloud.aws.denyActions([]); // the operator fixed the bridge's IAM permissions
    expect(await check(id)).toBe("drift_detected");
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(attached("bob")).not.toContain(arn);
  });

  test("a FAILED revocation whose access is gone (removed by hand) is proven done, with no write", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("carol", arn));
    await h.run(job);
    await h.endNow(id);
    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    h.cloud.aws.denyActions([]);
    await detachByHand("carol", arn);
    const before = requests();
    expect(await check(id)).toBe("confirmed_gone");
    expect(requests()).toEqual({
      ...before,
      ListAttachedUserPolicies: (before.ListAttachedUserPolicies ?? 0) + 1,
    });
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
  });

  test("an active grant whose access was removed out of band: DRIFT_MISSING, recorded once", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("dave", arn));
    await h.run(job);
    await detachByHand("dave", arn);
    expect(await check(id)).toBe("drift_missing");
    expect(await check(id)).toBe("drift_missing");
    expect((await h.events(id)).filter((e) => e === "DRIFT_MISSING")).toHaveLength(1);
    expect((await h.row(id)).revocation_status).toBe("SCHEDULED");
  });

  test("in line with PostgreSQL: nothing changes", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess";
    const { id, job } = await h.submit(awsGrant("erin", arn));
    await h.run(job);
    expect(await check(id)).toBe("in_line");
    const other = await revoked("erin", "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess");
    expect(await check(other)).toBe("in_line");
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
    await h.run((await h.scheduledRevocation(id))?.job as Job);
    h.cloud.azure.seedRoleAssignment({
      scope: AZURE.scope,
      roleDefinitionId: READER,
      principalId: AZURE.user,
    });
    expect(await check(id, "azure")).toBe("in_line");
    expect((await h.row(id)).revocation_status).toBe("REVOKED");
    expect(h.cloud.azure.snapshot().roleAssignments).toHaveLength(1);
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
