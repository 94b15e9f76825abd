import { describe, expect, test } from "bun:test";
import { AttachUserPolicyCommand } from "@aws-sdk/client-iam";
import { captureLog, waitFor } from "../../tests/fixtures/queue-support.ts";
import {
  AZURE,
  awsGrant,
  azureGrant,
  useWorkerHarness,
  type WorkerHarness,
} from "../../tests/fixtures/worker-harness.ts";
import { createSql } from "../db/connect.ts";
import { claimForProcessing } from "../db/transitions.ts";
import { createAwsProvider } from "../providers/aws/aws-provider.ts";
import { createIamClient } from "../providers/aws/create-iam-client.ts";
import { assignmentNameFor } from "../providers/azure/assignment-name.ts";
import { ProviderError } from "../providers/types.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";
import { GiveUpError } from "./errors.ts";

// What the worker stores and says when a request fails, retries or races: the error_details and
// audit details callers and dashboards read, the leases that keep a second chain out, the
// decision rounds, and the alert lines. Real PostgreSQL, Redis and cloudsim, one job at a time.
let h: WorkerHarness;
useWorkerHarness((started) => {
  h = started;
});

const attached = (user: string) => h.cloud.aws.snapshot().users[user]?.attachedPolicies ?? [];
const requests = (action: string) => h.cloud.aws.snapshot().requests[action] ?? 0;
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

async function eventsOf(id: string, kind: string): Promise<{ to: string | null; detail: unknown }[]> {
  return await h.api.db.sql<{ to: string | null; detail: unknown }[]>`
    SELECT to_status AS to, detail FROM request_events WHERE correlation_id = ${id} AND kind = ${kind} ORDER BY id`;
}

/** Attaches a policy through the IAM API, as an administrator outside CSecBridge would. */
async function attachAsSomeoneElse(user: string, arn: string): Promise<void> {
  const iam = createIamClient({
    region: "us-east-1",
    endpoint: h.cloud.awsUrl,
    credentials: { accessKeyId: "AKIAADMIN", secretAccessKey: "admin" },
  });
  try {
    await iam.send(new AttachUserPolicyCommand({ UserName: user, PolicyArn: arn }));
  } finally {
    iam.destroy();
  }
}

async function runRevocation(id: string, over = {}): Promise<unknown> {
  const scheduled = await h.scheduledRevocation(id);
  if (!scheduled) throw new Error(`no revocation scheduled for ${id}`);
  return await h.run(scheduled.job, scheduled.job.provider, over);
}

describe("a grant's transient failure", () => {
  test("is audited with the cloud's code, its attempt, delay and chain, and holds the lease past the retry", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess";
    h.cloud.aws.seedUser("wo-amy");
    const { id, job } = await h.submit(awsGrant("wo-amy", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "throttle", count: 1 }] });
    const thrown = await h.run(job, "aws", { leaseMs: 30_000 });
    expect(thrown).toBeInstanceOf(RetryJobError);
    const retry = thrown as RetryJobError;
    expect(retry.message).toBe("Throttling");
    expect(retry.cause).toBeInstanceOf(ProviderError);
    // The first retry waits the first backoff step (base 100 ms, equal jitter).
    expect(retry.delayMs).toBeGreaterThanOrEqual(50);
    expect(retry.delayMs).toBeLessThanOrEqual(100);
    const [event] = await eventsOf(id, "RETRY");
    expect(event?.detail).toMatchObject({
      code: "Throttling",
      provider: "aws",
      retryable: true,
      attempts: 1,
      delay_ms: retry.delayMs,
      chain: job.id,
    });
    // The lease covers the delay and one more handling: no other chain may take the row meanwhile.
    const [lease] = await h.api.db.sql<{ left_ms: number }[]>`
      SELECT (extract(epoch FROM lease_until - now()) * 1000)::float8 AS left_ms
      FROM requests WHERE correlation_id = ${id}`;
    expect(lease?.left_ms).toBeGreaterThan(25_000);
    const attaches = requests("AttachUserPolicy");
    expect(await h.run({ ...job, id: "wo-other-chain" })).toBeUndefined();
    expect(requests("AttachUserPolicy")).toBe(attaches);
    expect((await h.row(id)).lease_job).toBe(job.id);
  });

  test("of a chain the row was given away from meanwhile ends that chain without a retry", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess";
    h.cloud.aws.seedUser("wo-ben");
    const { id, job } = await h.submit(awsGrant("wo-ben", arn));
    // Slow calls, and the attach throttled: while it is in flight the chain's 1 ms lease lapses
    // and another chain (a job the reconciler queued) claims the row.
    h.cloud.aws.faults.set({
      latencyMs: 150,
      rules: [{ action: "AttachUserPolicy", mode: "throttle", count: 1 }],
    });
    const running = h.run(job, "aws", { leaseMs: 1 });
    await waitFor(async () => (await h.row(id)).pre_existing === false, "the decision");
    expect(await claimForProcessing(h.api.db.sql, id, "wo-successor", 60_000)).toBeDefined();
    expect(await running).toBeUndefined();
    expect(await eventsOf(id, "RETRY")).toEqual([]);
    expect(await h.row(id)).toMatchObject({ status: "PROCESSING", lease_job: "wo-successor" });
  });
});

describe("a grant that fails for good", () => {
  test("after its attempts: FAILED with the cloud's code and attempt count, obligation kept, alerted", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess";
    h.cloud.aws.seedUser("wo-cat");
    const { id, job } = await h.submit(awsGrant("wo-cat", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "throttle" }] });
    expect(await h.run(job)).toBeInstanceOf(RetryJobError);
    expect(await h.run({ ...job, attempt: 1 })).toBeInstanceOf(RetryJobError);
    const captured = captureLog();
    const err = await h.run({ ...job, attempt: 2 }, "aws", { log: captured.log });
    expect(err).toBeInstanceOf(GiveUpError);
    expect((err as Error).message).toBe("request failed: Throttling");
    expect((err as Error).cause).toBeInstanceOf(ProviderError);
    const r = await h.row(id);
    expect(r).toMatchObject({ status: "FAILED", revocation_status: "SCHEDULED" });
    expect(r.error_details).toMatchObject({
      code: "Throttling",
      provider: "aws",
      attempts: 3,
      retryable: true,
    });
    const alert = captured.lines().find((l) => l.level === "error");
    expect(alert).toMatchObject({
      msg: "request failed",
      correlation_id: id,
      job_id: job.id,
      provider: "aws",
      attempt: 2,
      obligation: true,
      error_details: { code: "Throttling", attempts: 3 },
    });
  });

  test("whose ownership kept racing: retried as DecisionRaced, then FAILED with no obligation", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess";
    h.cloud.aws.seedUser("wo-dan");
    // An earlier grant of ours on the access, revoked; the access is back (someone else's now).
    const earlier = await h.submit(awsGrant("wo-dan", arn));
    await h.run(earlier.job);
    await h.endNow(earlier.id);
    await runRevocation(earlier.id);
    expect((await h.row(earlier.id)).revocation_status).toBe("REVOKED");
    await attachAsSomeoneElse("wo-dan", arn);
    // The earlier row keeps changing under every read (as when its revocation reruns each time):
    // each read may be stale, so no round can decide.
    await h.api.db
      .sql`UPDATE requests SET updated_at = now() + interval '1 hour' WHERE correlation_id = ${earlier.id}`;
    const { id, job } = await h.submit(awsGrant("wo-dan", arn));
    const lists = requests("ListAttachedUserPolicies");
    const thrown = await h.run(job);
    expect(thrown).toBeInstanceOf(RetryJobError);
    expect((thrown as Error).message).toBe("DecisionRaced");
    // One read before the decision, and one after each of its three rounds.
    expect(requests("ListAttachedUserPolicies") - lists).toBe(4);
    const [event] = await eventsOf(id, "RETRY");
    expect(event?.detail).toMatchObject({
      code: "DecisionRaced",
      message: "the access changed under every read; the decision is taken on the next attempt",
      retryable: true,
      attempts: 1,
    });
    expect((await h.row(id)).pre_existing).toBeNull();

    const captured = captureLog();
    expect(await h.run({ ...job, attempt: 2 }, "aws", { log: captured.log })).toBeInstanceOf(GiveUpError);
    const r = await h.row(id);
    expect(r).toMatchObject({ status: "FAILED", pre_existing: null, revocation_status: null });
    expect(r.error_details).toMatchObject({ code: "DecisionRaced", attempts: 3 });
    expect(captured.lines().find((l) => l.level === "error")).toMatchObject({
      msg: "request failed",
      obligation: false,
    });
    expect(attached("wo-dan")).toEqual([arn]);
  });

  test("a shared listing is only as fresh as its first caller: a revocation since then forces a new read", async () => {
    // Listed first (IAM lists by ARN): its page is answered before the revocation below.
    const arn = "arn:aws:iam::aws:policy/AWSCloudTrail_ReadOnlyAccess";
    h.cloud.aws.seedUser("wo-ned");
    const earlier = await h.submit(awsGrant("wo-ned", arn));
    await h.run(earlier.job);
    await h.endNow(earlier.id);
    // Enough other policies that the listing, one page per call, outlasts a revocation.
    const others = ["AmazonEC2", "AmazonRDS", "AmazonSQS", "AmazonSNS", "AmazonS3", "IAM", "AmazonVPC"];
    for (const n of others) await attachAsSomeoneElse("wo-ned", `arn:aws:iam::aws:policy/${n}ReadOnlyAccess`);
    const iam = createIamClient({
      region: "us-east-1",
      endpoint: h.cloud.awsUrl,
      credentials: { accessKeyId: "AKIATEST", secretAccessKey: "test" },
      maxAttempts: 1,
      requestTimeoutMs: 400,
    });
    const paged = { provider: createAwsProvider({ client: iam, listPageSize: 1 }) };
    try {
      const first = await h.submit(awsGrant("wo-ned", "arn:aws:iam::aws:policy/AWSSupportAccess"));
      const later = await h.submit(awsGrant("wo-ned", arn));
      h.cloud.aws.faults.set({ latencyMs: 60 });
      // A grant of another policy of the user starts the listing; its first page shows the access.
      const lists = requests("ListAttachedUserPolicies");
      const firstRun = h.run(first.job, "aws", paged);
      await waitFor(() => requests("ListAttachedUserPolicies") - lists >= 2, "the listing's second page");
      // Our earlier grant's revocation removes the access meanwhile.
      expect(await runRevocation(earlier.id)).toBeUndefined();
      expect(attached("wo-ned")).not.toContain(arn);
      // The later grant joins the listing still in flight, whose answer is older than the revocation.
      const laterRun = h.run(later.job, "aws", paged);
      expect(await firstRun).toBeUndefined();
      expect(await laterRun).toBeUndefined();
      expect(await h.row(later.id)).toMatchObject({ status: "SUCCESS", pre_existing: false });
      expect(attached("wo-ned")).toContain(arn);
    } finally {
      iam.destroy();
    }
  });

  test("a chain whose row was failed by another while it read the cloud writes nothing", async () => {
    const arn = "arn:aws:iam::aws:policy/ViewOnlyAccess";
    h.cloud.aws.seedUser("wo-oli");
    const { id, job } = await h.submit(awsGrant("wo-oli", arn));
    h.cloud.aws.faults.set({ latencyMs: 150 });
    const lists = requests("ListAttachedUserPolicies");
    const running = h.run(job, "aws", { leaseMs: 1 });
    await waitFor(() => requests("ListAttachedUserPolicies") > lists, "the read");
    // Its lease lapsed: a new chain takes the row and finds it past its handling cap.
    expect(await h.run({ ...job, id: "wo-chain-b" }, "aws", { maxHandlings: 1 })).toBeUndefined();
    const thrown = await running;
    expect(thrown).toBeInstanceOf(RetryJobError);
    expect(((thrown as Error).cause as Error).message).toBe(
      "request left PROCESSING while its ownership was decided",
    );
    expect(await h.row(id)).toMatchObject({ status: "FAILED", pre_existing: null, revocation_status: null });
    expect(attached("wo-oli")).not.toContain(arn);
  });

  test("a database failure mid-grant is retried as infrastructure, never marks the request FAILED", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess";
    h.cloud.aws.seedUser("wo-eve");
    const { id, job } = await h.submit(awsGrant("wo-eve", arn));
    const key = (await h.row(id)).access_key as string;
    // Another session holds the access lock; the worker's statements time out waiting for it.
    const impatient = createSql(h.api.db.url, { timeoutMs: 300, max: 2 });
    let thrown: unknown;
    try {
      await h.api.db.sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
        thrown = await h.run(job, "aws", { sql: impatient });
      });
    } finally {
      await impatient.end();
    }
    expect(thrown).toBeInstanceOf(RetryJobError);
    expect((thrown as Error).message).toBe("infrastructure_unavailable");
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    expect((thrown as Error).cause).not.toBeInstanceOf(ProviderError);
    expect(await h.row(id)).toMatchObject({ status: "PROCESSING", pre_existing: null, error_details: null });
    expect(attached("wo-eve")).not.toContain(arn);
    // The lock gone, the next try carries it out.
    expect(await h.run({ ...job, attempt: 1 })).toBeUndefined();
    expect((await h.row(id)).status).toBe("SUCCESS");
  });
});

describe("what a grant records", () => {
  test("its handle and SUCCESS event say whether the access pre-existed", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    h.cloud.aws.seedUser("wo-fay");
    const ours = await h.submit(awsGrant("wo-fay", arn));
    await h.run(ours.job);
    expect((await h.row(ours.id)).provider_handle).toMatchObject({ pre_existing: false });
    expect(await eventsOf(ours.id, "STATUS")).toContainEqual({
      to: "SUCCESS",
      detail: { pre_existing: false },
    });

    h.cloud.aws.seedUser("wo-gus", { attachedPolicies: [arn] });
    const theirs = await h.submit(awsGrant("wo-gus", arn));
    await h.run(theirs.job);
    expect((await h.row(theirs.id)).provider_handle).toMatchObject({ pre_existing: true });
    expect(await eventsOf(theirs.id, "STATUS")).toContainEqual({
      to: "SUCCESS",
      detail: { pre_existing: true },
    });
  });

  test("refused as expired: the message says whether anything may have reached the cloud", async () => {
    h.cloud.aws.seedUser("wo-hal");
    const before = await h.submit(awsGrant("wo-hal", "arn:aws:iam::aws:policy/PowerUserAccess"));
    await h.endNow(before.id);
    await h.run(before.job);
    expect((await h.row(before.id)).error_details).toEqual({
      code: "expired_before_processing",
      message: "the grant's expiry passed before a worker could apply it",
      provider: "aws",
    });

    const during = await h.submit(awsGrant("wo-hal", "arn:aws:iam::aws:policy/SecurityAudit"));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(during.job)).toBeInstanceOf(RetryJobError);
    await h.endNow(during.id);
    await h.run({ ...during.job, attempt: 1 });
    expect((await h.row(during.id)).error_details).toEqual({
      code: "expired_during_processing",
      message: "the grant ended before its cloud call was confirmed; whatever it applied is being revoked",
      provider: "aws",
    });
  });

  test("past the handling cap: attempts_exhausted says how many handlings went unanswered", async () => {
    h.cloud.aws.seedUser("wo-ida");
    const { id, job } = await h.submit(awsGrant("wo-ida", "arn:aws:iam::aws:policy/AmazonVPCReadOnlyAccess"));
    h.cloud.aws.faults.set({ rules: [{ action: "AttachUserPolicy", mode: "drop_reply", count: 1 }] });
    expect(await h.run(job, "aws", { leaseMs: 1 })).toBeInstanceOf(RetryJobError);
    await waitFor(async () => {
      const [r] = await h.api.db.sql<{ free: boolean }[]>`
        SELECT lease_until < now() AS free FROM requests WHERE correlation_id = ${id}`;
      return r?.free === true;
    }, "the lease to lapse");
    expect(await h.run({ ...job, id: "wo-chain-2" }, "aws", { maxHandlings: 1 })).toBeUndefined();
    expect(await h.row(id)).toMatchObject({ status: "FAILED", revocation_status: "SCHEDULED", attempts: 2 });
    expect((await h.row(id)).error_details).toEqual({
      code: "attempts_exhausted",
      message: "handled 1 times without an answer (its worker may have crashed on it each time)",
      provider: "aws",
    });
  });

  test("Azure: an assignment of ours left behind is ours, not pre-existing access", async () => {
    const first = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(first.job);
    await h.endNow(first.id);
    await runRevocation(first.id);
    expect((await h.row(first.id)).revocation_status).toBe("REVOKED");
    // The assignment named after the first grant is back (a create that landed late, say).
    const leftover = h.cloud.azure.seedRoleAssignment({
      name: assignmentNameFor(first.id),
      scope: AZURE.scope,
      roleDefinitionId: READER,
      principalId: AZURE.user,
    });
    const second = await h.submit(azureGrant({ name: "Reader" }));
    await h.run(second.job);
    expect(await h.row(second.id)).toMatchObject({ status: "SUCCESS", pre_existing: false });
    await h.endNow(second.id);
    await runRevocation(second.id);
    expect((await h.row(second.id)).revocation_status).toBe("REVOKED");
    expect(h.cloud.azure.snapshot().roleAssignments.map((a) => a.name)).not.toContain(leftover.name);
  });
});

describe("a revocation", () => {
  test("its first transient retry waits the first step of the revocation backoff", async () => {
    const arn = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";
    h.cloud.aws.seedUser("wo-jon");
    const { id, job } = await h.submit(awsGrant("wo-jon", arn));
    await h.run(job);
    await h.endNow(id);
    h.cloud.aws.faults.set({ rules: [{ action: "DetachUserPolicy", mode: "throttle", count: 1 }] });
    const revocationBackoff = { baseMs: 1000, maxMs: 60_000 };
    const thrown = await runRevocation(id, { revocationBackoff });
    expect(thrown).toBeInstanceOf(RetryJobError);
    const delayMs = (thrown as RetryJobError).delayMs;
    expect(delayMs).toBeGreaterThanOrEqual(500);
    expect(delayMs).toBeLessThanOrEqual(1000);
    expect(await runRevocation(id)).toBeUndefined();
    expect(attached("wo-jon")).not.toContain(arn);
  });
});

describe("a revoke request", () => {
  const revokeOf = (user: string, arn: string) => ({
    provider: "aws",
    action: "revoke",
    principal: { type: "user", name: user },
    permission: { type: "managed_policy", policy_arn: arn },
  });

  test("records what it ended, and the ended grant's cached status goes at once", async () => {
    const arn = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess";
    h.cloud.aws.seedUser("wo-kim");
    const grant = await h.submit(awsGrant("wo-kim", arn));
    await h.run(grant.job);
    await h.api.get(`/api/v1/requests/${grant.id}`);
    expect((await h.api.get(`/api/v1/requests/${grant.id}`)).headers.get("x-cache")).toBe("HIT");
    const revoke = await h.submit(revokeOf("wo-kim", arn));
    // Its last allowed handling still runs.
    expect(await h.run(revoke.job, "aws", { maxHandlings: 1 })).toBeUndefined();
    expect(await eventsOf(revoke.id, "STATUS")).toContainEqual({
      to: "SUCCESS",
      detail: { already_gone: false, ended_grants: [grant.id] },
    });
    const fresh = await h.api.get(`/api/v1/requests/${grant.id}`);
    expect(fresh.headers.get("x-cache")).toBe("MISS");
    expect(((await fresh.json()) as { revocation_status: string }).revocation_status).toBe("REVOKED");
    expect(attached("wo-kim")).not.toContain(arn);
  });

  test("past the handling cap: FAILED attempts_exhausted without a cloud call", async () => {
    const arn = "arn:aws:iam::aws:policy/AWSSupportAccess";
    h.cloud.aws.seedUser("wo-lea", { attachedPolicies: [arn] });
    const revoke = await h.submit(revokeOf("wo-lea", arn));
    const detaches = requests("DetachUserPolicy");
    expect(await h.run(revoke.job, "aws", { maxHandlings: 0 })).toBeUndefined();
    expect(await h.row(revoke.id)).toMatchObject({ status: "FAILED" });
    expect((await h.row(revoke.id)).error_details).toEqual({
      code: "attempts_exhausted",
      message: "handled 0 times without an answer",
      provider: "aws",
    });
    expect(requests("DetachUserPolicy")).toBe(detaches);
    expect(attached("wo-lea")).toContain(arn);
  });

  test("a transient cloud error retries it, a permanent one fails it", async () => {
    const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    h.cloud.aws.seedUser("wo-max", { attachedPolicies: [arn] });
    const revoke = await h.submit(revokeOf("wo-max", arn));
    h.cloud.aws.faults.set({ rules: [{ action: "DetachUserPolicy", mode: "throttle", count: 1 }] });
    expect(await h.run(revoke.job)).toBeInstanceOf(RetryJobError);
    expect((await h.row(revoke.id)).status).toBe("PROCESSING");
    h.cloud.aws.denyActions(["DetachUserPolicy"]);
    const captured = captureLog();
    let err: unknown;
    try {
      err = await h.run({ ...revoke.job, attempt: 1 }, "aws", { log: captured.log });
    } finally {
      h.cloud.aws.denyActions([]);
    }
    expect(err).toBeInstanceOf(GiveUpError);
    expect(await h.row(revoke.id)).toMatchObject({ status: "FAILED", revocation_status: null });
    expect((await h.row(revoke.id)).error_details).toMatchObject({ code: "AccessDenied", attempts: 2 });
    expect(captured.lines().find((l) => l.level === "error")).toMatchObject({
      msg: "request failed",
      obligation: false,
    });
    expect(attached("wo-max")).toContain(arn);
  });
});
