import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import { isRestError } from "@azure/core-rest-pipeline";
import { type AzureTestSim, rejectionOf, startAzureTestSim } from "./test-harness.ts";

// The simulator through the real @azure/arm-authorization + @azure/identity over HTTPS, as the
// worker uses them: what the SDK sends (double slashes, nextLink paging) must be understood here.

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const PRINCIPAL = "6c1f7a39-2d7e-4a8b-9f0e-1b2c3d4e5f60";
let t: AzureTestSim;
let client: AuthorizationManagementClient;
let rg: string;
const defId = (guid: string) =>
  `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

beforeAll(async () => {
  t = await startAzureTestSim();
  client = t.client();
  rg = `/subscriptions/${t.subscriptionId}/resourceGroups/rg-sdk`;
});
afterAll(() => t.stop());
beforeEach(() => {
  t.sim.reset();
  t.sim.seedPrincipals({ id: PRINCIPAL, type: "ServicePrincipal" });
});

describe("through the real SDK", () => {
  test("create, get, listForScope across nextLink pages, delete", async () => {
    const names: string[] = [];
    const roles = [READER, "b24988ac-6180-42a0-ab88-20f7382dd24c", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"];
    const extra = ["18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"];
    for (const role of [...roles, ...extra]) {
      const name = crypto.randomUUID();
      names.push(name);
      const created = await client.roleAssignments.create(rg, name, {
        roleDefinitionId: defId(role),
        principalId: PRINCIPAL,
        principalType: "ServicePrincipal",
      });
      expect(created.id).toBe(`${rg}/providers/Microsoft.Authorization/roleAssignments/${name}`);
    }
    const got = await client.roleAssignments.get(rg, names[0] ?? "");
    expect(got.roleDefinitionId).toBe(defId(READER));

    const listed: string[] = [];
    for await (const a of client.roleAssignments.listForScope(rg, {
      filter: `principalId eq '${PRINCIPAL}'`,
    })) {
      listed.push(a.name ?? "");
    }
    expect(listed.sort()).toEqual([...names].sort());
    // Five items at page size 2: one first call and two nextLink follow-ups.
    expect(t.sim.snapshot().calls.list).toBe(3);

    const pages: number[] = [];
    for await (const page of client.roleAssignments.listForScope(rg).byPage()) pages.push(page.length);
    expect(pages).toEqual([2, 2, 1]);

    await client.roleAssignments.delete(rg, names[0] ?? "");
    expect(t.sim.snapshot().roleAssignments).toHaveLength(4);
  });

  test("errors arrive as RestError with ARM's status and code", async () => {
    const err = await rejectionOf(
      client.roleAssignments.create(rg, crypto.randomUUID(), {
        roleDefinitionId: defId(READER),
        principalId: crypto.randomUUID(),
      }),
    );
    expect(isRestError(err)).toBe(true);
    expect(err).toMatchObject({ statusCode: 400, code: "PrincipalNotFound" });
    expect(await rejectionOf(client.roleAssignments.get(rg, crypto.randomUUID()))).toMatchObject({
      statusCode: 404,
      code: "RoleAssignmentNotFound",
    });
  });

  test("delete of a missing assignment resolves (204) without a body", async () => {
    let status = 0;
    const result = await client.roleAssignments.delete(rg, crypto.randomUUID(), {
      onResponse: (raw) => {
        status = raw.status;
      },
    });
    expect(status).toBe(204);
    expect(result.id).toBeUndefined();
  });

  test("role definitions: list by name and get by id", async () => {
    const custom = t.sim.seedRoleDefinition({ roleName: "Ledger Auditor", assignableScopes: [rg] });
    const found: string[] = [];
    for await (const d of client.roleDefinitions.list(rg, { filter: "roleName eq 'Ledger Auditor'" })) {
      found.push(d.id ?? "");
    }
    expect(found).toEqual([defId(custom.guid)]);
    const reader = await client.roleDefinitions.get(rg, READER);
    expect(reader).toMatchObject({ roleName: "Reader", roleType: "BuiltInRole", id: defId(READER) });
  });
});

describe("control endpoints over HTTPS", () => {
  const admin = (path: string, body?: unknown) =>
    fetch(`${t.cloud.azureUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca: t.cloud.caPem },
    });

  test("seed, faults, state and reset", async () => {
    const seeded = await admin("/_sim/seed", {
      azure: {
        principals: [{ id: "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", type: "Group" }],
        roleAssignments: [
          { scope: rg, roleDefinitionId: READER, principalId: "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6" },
        ],
      },
    });
    expect(seeded.status).toBe(200);
    const faults = await admin("/_sim/faults", { azure: { failNext: 2 } });
    expect(((await faults.json()) as { azure: { failNext: number } }).azure.failNext).toBe(2);

    const state = (await (await admin("/_sim/state")).json()) as {
      azure: { roleAssignments: unknown[]; faults: { failNext: number } };
      aws: unknown;
    };
    expect(state.azure.roleAssignments).toHaveLength(1);
    expect(state.azure.faults.failNext).toBe(2);
    expect(state.aws).toBeDefined();

    expect((await admin("/_sim/reset", {})).status).toBe(200);
    expect(t.sim.snapshot().roleAssignments).toHaveLength(0);
    expect(t.sim.faults.current().failNext).toBe(0);
  });

  test("a bad control request is a 400 naming the problem", async () => {
    const res = await admin("/_sim/faults", { azure: { throttleRate: 2 } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain("azure.throttleRate");
  });
});
