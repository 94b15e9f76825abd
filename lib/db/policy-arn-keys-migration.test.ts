import { afterAll, expect, test } from "bun:test";
import { migrations } from "../../migrations/index.ts";
import { createEmptyDatabaseName } from "../../tests/helpers/db.ts";
import { createSql } from "./connect.ts";
import { ensureDatabase, migrate } from "./migrate.ts";

const dbs: { drop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

test("0007: AWS managed-policy keys keep the ARN's case; obligations handed across spellings open again", async () => {
  const db = await createEmptyDatabaseName();
  dbs.push(db);
  await ensureDatabase(db.url);
  const sql = createSql(db.url, { max: 1 });
  try {
    await migrate(
      sql,
      migrations.filter((m) => m.version < 7),
    );
    const grant = (id: string, arn: string, revocation: string) => sql`
      INSERT INTO requests (correlation_id, status, cloud_provider, action, client, request_payload, request_hash,
                            access_key, principal, pre_existing, revocation_status, revoke_at)
      VALUES (${id}, 'SUCCESS', 'aws', 'grant', 'c',
              ${sql.json({ provider: "aws", action: "grant", principal: { type: "user", name: "Alice" }, permission: { type: "managed_policy", policy_arn: arn } })},
              'h', ${`aws:user/alice:policy:${arn.toLowerCase()}`}, 'user/Alice', false, ${revocation}, now() - interval '1 minute')`;
    const applied = "00000000-0000-4000-8000-000000000001";
    const other = "00000000-0000-4000-8000-000000000002";
    const sameSpelling = "00000000-0000-4000-8000-000000000003";
    const heir = "00000000-0000-4000-8000-000000000004";
    await grant(applied, "arn:aws:iam::aws:policy/ReadOnlyAccess", "SKIPPED");
    await grant(other, "arn:aws:iam::aws:policy/readonlyaccess", "REVOKED");
    await grant(sameSpelling, "arn:aws:iam::aws:policy/ReadOnlyAccess", "SKIPPED");
    await grant(heir, "arn:aws:iam::aws:policy/ReadOnlyAccess", "REVOKED");
    const skipped = (id: string, keptFor: string) => sql`
      INSERT INTO request_events (correlation_id, kind, from_status, to_status, detail)
      VALUES (${id}, 'REVOCATION', 'SCHEDULED', 'SKIPPED', ${sql.json({ kept_for: keptFor })})`;
    await skipped(applied, other); // handed to a spelling that could not remove it
    await skipped(sameSpelling, heir); // an ordinary hand-over
    await migrate(sql, migrations);
    const rows = await sql<{ correlation_id: string; access_key: string; revocation_status: string }[]>`
      SELECT correlation_id, access_key, revocation_status FROM requests ORDER BY correlation_id`;
    expect(rows.map((r) => [r.access_key, r.revocation_status])).toEqual([
      ["aws:user/alice:policy:arn:aws:iam::aws:policy/ReadOnlyAccess", "SCHEDULED"],
      ["aws:user/alice:policy:arn:aws:iam::aws:policy/readonlyaccess", "REVOKED"],
      ["aws:user/alice:policy:arn:aws:iam::aws:policy/ReadOnlyAccess", "SKIPPED"],
      ["aws:user/alice:policy:arn:aws:iam::aws:policy/ReadOnlyAccess", "REVOKED"],
    ]);
    const [reopened] = await sql<{ kind: string }[]>`
      SELECT kind FROM request_events WHERE correlation_id = ${applied} ORDER BY id DESC LIMIT 1`;
    expect(reopened?.kind).toBe("OBLIGATION_REOPENED");
  } finally {
    await sql.end();
  }
});
