// Every migration, embedded as text so a compiled binary carries them. Append new files here.
import m0001 from "./0001_requests.sql" with { type: "text" };
import m0002 from "./0002_revocation_obligations.sql" with { type: "text" };
import m0003 from "./0003_access_log.sql" with { type: "text" };
// Versions need not be contiguous (lib/db/migrate.ts): 0004 was never used.
import m0005 from "./0005_request_list_indexes.sql" with { type: "text" };
import m0006 from "./0006_webhooks.sql" with { type: "text" };
import m0007 from "./0007_policy_arn_access_keys.sql" with { type: "text" };

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  { version: 1, name: "0001_requests", sql: m0001 },
  { version: 2, name: "0002_revocation_obligations", sql: m0002 },
  { version: 3, name: "0003_access_log", sql: m0003 },
  { version: 5, name: "0005_request_list_indexes", sql: m0005 },
  { version: 6, name: "0006_webhooks", sql: m0006 },
  { version: 7, name: "0007_policy_arn_access_keys", sql: m0007 },
];
