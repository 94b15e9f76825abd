import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApi, type TestApi } from "../../tests/helpers/api.ts";
import { type RunningCloudsim, startCloudsim } from "../cloudsim/server.ts";
import { createLogger } from "../logging/logger.ts";
import { createAwsProvider } from "../providers/aws/aws-provider.ts";
import { createIamClient } from "../providers/aws/create-iam-client.ts";
import { type ProviderClient, ProviderError } from "../providers/types.ts";
import { type Job, newJob } from "../queue/job.ts";
import { REVOCATION_SCHEDULE_KEY } from "../queue/keys.ts";
import { RetryLaterError } from "./errors.ts";
import { handleRequestJob, type WorkerDeps } from "./handle-request-job.ts";

// The worker's job handler on real PostgreSQL, Redis and cloudsim (through the real AWS SDK).
describe("handleRequestJob", () => {
  let api: TestApi;
  let cloud: RunningCloudsim;
  let aws: ProviderClient;
  const log = createLogger({ service: "test-worker", level: "silent" });
  beforeAll(async () => {
    api = await createTestApi();
    cloud = await startCloudsim();
    for (const u of ["alice", "bob", "carol"]) cloud.aws.seedUser(u);
    aws = createAwsProvider({
      client: createIamClient({
        region: "us-east-1",
        endpoint: cloud.awsUrl,
        credentials: { accessKeyId: "AKIATEST", secretAccessKey: "test" },
      }),
    });
  });
  afterAll(async () => {
    await cloud.stop();
    await api.close();
  });

  const deps = (provider: ProviderClient = aws): WorkerDeps => ({
    sql: api.db.sql,
    redis: api.r.redis,
    provider,
    log,
    now: Date.now,
    maxAttempts: 3,
  });
  const grant = (user: string, arn: string, duration = "PT1H") => ({
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: user },
    permission: { type: "managed_policy", policy_arn: arn },
    duration,
  });
  async function submitted(body: unknown): Promise<{ id: string; job: Job }> {
    const res = await api.post(body);
    const { correlation_id } = (await res.json()) as { correlation_id: string };
    const raw = await api.r.redis.rpop("queue:aws");
    return { id: correlation_id, job: JSON.parse(raw ?? "null") as Job };
  }
  const row = async (id: string) => {
    const [r] = await api.db.sql`SELECT * FROM requests WHERE correlation_id = ${id}`;
    return r as Record<string, unknown>;
  };

  test("a grant whose first reply was lost is still ours: revoked at expiry, not taken for pre-existing", async () => {
    const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    let lose = true;
    // The cloud applies the grant, but the answer never reaches the worker (a timeout on the wire).
    const lossy: ProviderClient = {
      ...aws,
      hasAccess: (p, c) => aws.hasAccess(p, c),
      async grant(p, c) {
        const out = await aws.grant(p, c);
        if (lose) {
          lose = false;
          throw new ProviderError({
            code: "provider_transient",
            retryable: true,
            providerCode: "TimeoutError",
            providerMessage: "reply lost",
          });
        }
        return out;
      },
    };
    const { id, job } = await submitted(grant("alice", arn, "PT1S"));
    await expect(handleRequestJob(deps(lossy), job)).rejects.toBeInstanceOf(RetryLaterError);
    expect(cloud.aws.snapshot().users.alice?.attachedPolicies).toContain(arn);
    await handleRequestJob(deps(lossy), { ...job, attempt: 1 });
    const after = await row(id);
    expect(after.status).toBe("SUCCESS");
    expect((after.provider_handle as { pre_existing: boolean }).pre_existing).toBe(false);

    await Bun.sleep(1100);
    const [member] = await api.r.redis.zrange(REVOCATION_SCHEDULE_KEY, "0", "-1");
    expect(member).toBeDefined();
    await handleRequestJob(deps(), JSON.parse(member ?? "null") as Job);
    expect((await row(id)).revocation_status).toBe("REVOKED");
    expect(cloud.aws.snapshot().users.alice?.attachedPolicies).not.toContain(arn);
  });

  test("a duplicate delivery changes nothing", async () => {
    const arn = "arn:aws:iam::aws:policy/SecurityAudit";
    const { id, job } = await submitted(grant("bob", arn));
    await handleRequestJob(deps(), job);
    const before = cloud.aws.snapshot().mutations;
    const eventsBefore = await api.db
      .sql`SELECT count(*)::int AS n FROM request_events WHERE correlation_id = ${id}`;
    await handleRequestJob(deps(), job);
    await handleRequestJob(deps(), { ...job, id: "another-copy" });
    expect(cloud.aws.snapshot().mutations).toEqual(before);
    const eventsAfter = await api.db
      .sql`SELECT count(*)::int AS n FROM request_events WHERE correlation_id = ${id}`;
    expect(eventsAfter).toEqual(eventsBefore);
    expect((await row(id)).status).toBe("SUCCESS");
  });

  test("a job whose row does not exist is dropped without touching the cloud", async () => {
    const before = cloud.aws.snapshot().requests;
    const job = newJob(
      {
        correlation_id: crypto.randomUUID(),
        provider: "aws",
        kind: "grant",
        request: grant("carol", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
      },
      Date.now(),
    );
    await handleRequestJob(deps(), job);
    expect(cloud.aws.snapshot().requests).toEqual(before);
  });

  test("a grant whose expiry passed before a worker got to it is refused, not applied", async () => {
    const arn = "arn:aws:iam::aws:policy/PowerUserAccess";
    const { id, job } = await submitted(grant("carol", arn, "PT1S"));
    await Bun.sleep(1100);
    await handleRequestJob(deps(), job);
    const r = await row(id);
    expect(r.status).toBe("FAILED");
    expect((r.error_details as { code: string }).code).toBe("expired_before_processing");
    expect(cloud.aws.snapshot().users.carol?.attachedPolicies).not.toContain(arn);
  });
});
