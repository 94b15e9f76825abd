import { expect, test } from "bun:test";
import {
  AZURE,
  azureGrant,
  useWorkerHarness,
  type WorkerHarness,
} from "../../tests/fixtures/worker-harness.ts";
import { RetryJobError } from "../queue/retry-job-error.ts";

// A grant's canonical access once its ownership is decided: taken from the row, with what was
// looked up to build it (an Azure custom role's GUID), not asked of the cloud again.
let h: WorkerHarness;
useWorkerHarness((started) => {
  h = started;
});

const roleLookups = () => h.cloud.azure.snapshot().calls.roleDefinitionReads;

test("a decided grant's retry reuses the stored key and role GUID: the role name is not looked up again", async () => {
  const role = h.cloud.azure.seedRoleDefinition({
    roleName: "Ledger Reader",
    assignableScopes: [AZURE.scope],
  });
  const { id, job } = await h.submit(azureGrant({ name: "ledger reader" }));
  // The first attempt decides (ours), then its write is refused for a moment.
  h.cloud.azure.faults.set({ rules: [{ action: "RoleAssignments_Create", mode: "server_error", count: 1 }] });
  const first = roleLookups();
  expect(await h.run(job)).toBeInstanceOf(RetryJobError);
  expect(roleLookups()).toBeGreaterThan(first); // the name had to be resolved once
  const decided = await h.row(id);
  expect(decided).toMatchObject({ status: "PROCESSING", pre_existing: false });
  expect(decided.provider_handle).toMatchObject({ role_guid: role.guid });
  h.cloud.azure.faults.reset();
  const before = roleLookups();
  expect(await h.run({ ...job, attempt: 1 })).toBeUndefined();
  expect(roleLookups()).toBe(before);
  expect(await h.row(id)).toMatchObject({ status: "SUCCESS", access_key: decided.access_key });
  expect(
    h.cloud.azure.snapshot().roleAssignments.filter((a) => a.roleDefinitionId.endsWith(role.guid)),
  ).toHaveLength(1);
});
