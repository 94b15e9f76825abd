import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  type AzureTestSim,
  rejectionOf,
  startAzureTestSim,
} from "../../../services/cloudsim/sim/azure/test-harness.ts";
import type { AzureRequest } from "../../schemas/request.ts";
import { type ProviderClient, ProviderError } from "../types.ts";
import { assignmentNameFor } from "./assignment-name.ts";
import { createAzureProvider } from "./azure-provider.ts";

// The Azure provider through the real SDKs over HTTPS against the cloud simulator.

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const ALICE = "3f8e2a10-6b4c-4d2e-9a1f-0c5b7d9e1a23";

let t: AzureTestSim;
let provider: ProviderClient;
let scope: string;

const defId = (guid: string) =>
  `/subscriptions/${t.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

function request(over: Partial<AzureRequest> = {}): AzureRequest {
  return {
    provider: "azure",
    action: "grant",
    principal: { id: ALICE, type: "User" },
    role: { name: "Reader" },
    scope,
    duration: "PT1H",
    ...over,
  };
}

const ctx = (correlationId = crypto.randomUUID()) => ({ correlationId });
const assignments = () => t.sim.snapshot().roleAssignments;

beforeAll(async () => {
  t = await startAzureTestSim();
  provider = createAzureProvider({ client: t.client() });
  scope = `/subscriptions/${t.subscriptionId}/resourceGroups/rg-payments`;
});
afterAll(() => t.stop());
beforeEach(() => {
  t.sim.reset();
  t.sim.seedPrincipals({ id: ALICE, type: "User" });
});

describe("canonical", () => {
  test("one key for a role by built-in name (any case), by GUID and by definition id; a custom name is looked up", async () => {
    const keys = new Set<string>();
    for (const role of [
      { name: "Reader" },
      { name: "reader" },
      { definition_id: READER },
      { definition_id: defId(READER).toUpperCase() },
    ]) {
      keys.add((await provider.canonical(request({ role }))).accessKey);
    }
    expect(keys.size).toBe(1);
    expect(t.sim.snapshot().calls.roleDefinitionReads).toBe(0);
    const custom = t.sim.seedRoleDefinition({ roleName: "Payments Auditor", assignableScopes: [scope] });
    const byName = await provider.canonical(request({ role: { name: "Payments Auditor" } }));
    const byId = await provider.canonical(request({ role: { definition_id: custom.guid } }));
    expect(byName.accessKey).toBe(byId.accessKey);
    expect(byName.resolved).toEqual({ role_guid: custom.guid });
    expect(byId.resolved).toEqual({}); // nothing had to be looked up
    expect(t.sim.snapshot().calls.roleDefinitionReads).toBe(1);
  });

  test("scope case and a trailing slash do not change the key", async () => {
    const a = await provider.canonical(request());
    const b = await provider.canonical(request({ scope: `${scope.toUpperCase()}` }));
    expect(a.accessKey).toBe(b.accessKey);
  });
});

describe("grant", () => {
  test("creates an assignment named from the correlation id, in one call, visible in the cloud", async () => {
    const c = ctx();
    const out = await provider.grant(request(), c);
    const name = assignmentNameFor(c.correlationId);
    expect(out).toEqual({
      handle: {
        assignment_name: name,
        assignment_id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
        held_by: "this",
      },
    });
    expect(assignments()).toEqual([
      expect.objectContaining({ name, scope, principalId: ALICE, roleDefinitionId: defId(READER) }),
    ]);
    expect(t.sim.snapshot().calls).toMatchObject({ create: 1, list: 0 });
  });

  test("a retried grant (same correlation id) creates nothing more", async () => {
    const c = ctx();
    const first = await provider.grant(request(), c);
    const again = await provider.grant(request(), c);
    expect(again).toEqual(first);
    expect(assignments()).toHaveLength(1);
  });

  test("a retried grant against older ARM (409 for an identical re-PUT) finds its own assignment", async () => {
    t.sim.configure({ identicalRePutConflicts: true });
    const c = ctx();
    const first = await provider.grant(request(), c);
    const again = await provider.grant(request(), c);
    expect(again.handle).toMatchObject({ assignment_name: first.handle.assignment_name, held_by: "this" });
    expect(assignments()).toHaveLength(1);
  });

  test("an overlapping grant of ours finds the first one's assignment and says so", async () => {
    const first = ctx();
    await provider.grant(request(), first);
    const second = ctx();
    const out = await provider.grant(request(), { ...second, ownCorrelationIds: [first.correlationId] });
    expect(out.handle).toMatchObject({
      assignment_name: assignmentNameFor(first.correlationId),
      held_by: "another grant of ours",
    });
    expect(assignments()).toHaveLength(1);
  });

  test("roles by built-in name (any case), custom name via list, and definition id", async () => {
    const custom = t.sim.seedRoleDefinition({ roleName: "Payments Auditor", assignableScopes: [scope] });
    const cases: Array<[AzureRequest["role"], string]> = [
      [{ name: "contributor" }, CONTRIBUTOR],
      [{ name: "Payments Auditor" }, custom.guid],
      [{ definition_id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635" }, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"],
      [
        {
          definition_id:
            "/providers/Microsoft.Authorization/roleDefinitions/18D7D88D-D35E-4FB5-A5C3-7773C20A72D9",
        },
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
      ],
    ];
    for (const [role] of cases) await provider.grant(request({ role }), ctx());
    expect(
      assignments()
        .map((a) => a.roleDefinitionId)
        .sort(),
    ).toEqual(cases.map(([, g]) => defId(g)).sort());
    // Only the custom name needed a lookup: built-ins come from the table, ids are used as given.
    expect(t.sim.snapshot().calls.roleDefinitionReads).toBe(1);
  });

  test("a role GUID resolved once (stored on the row) is not looked up again", async () => {
    const custom = t.sim.seedRoleDefinition({ roleName: "Payments Auditor", assignableScopes: [scope] });
    await provider.grant(request({ role: { name: "Payments Auditor" } }), {
      ...ctx(),
      resolved: { role_guid: custom.guid },
    });
    expect(t.sim.snapshot().calls.roleDefinitionReads).toBe(0);
    expect(assignments()[0]?.roleDefinitionId).toBe(defId(custom.guid));
  });

  test("the built-in table agrees with the cloud's built-in definitions", async () => {
    const { BUILTIN_ROLE_NAMES, builtinRoleGuid } = await import("./builtin-roles.ts");
    const client = t.client();
    for (const name of BUILTIN_ROLE_NAMES) {
      const listed: string[] = [];
      for await (const d of client.roleDefinitions.list(scope, { filter: `roleName eq '${name}'` })) {
        listed.push(d.name ?? "");
      }
      expect({ name, listed }).toEqual({ name, listed: [builtinRoleGuid(name) ?? ""] });
    }
  });
});

describe("inspect", () => {
  test("absent before anything is assigned; someone else's assignment at exactly that scope is present, not ours", async () => {
    expect(await provider.inspect(request(), ctx(), "grant")).toEqual({ present: false, ours: false });
    t.sim.seedRoleAssignment({
      scope: `/subscriptions/${t.subscriptionId}`,
      roleDefinitionId: READER,
      principalId: ALICE,
    });
    // Inherited from above is not "in place at this scope": the revoke would have nothing to leave alone.
    expect(await provider.inspect(request(), ctx(), "grant")).toEqual({ present: false, ours: false });
    t.sim.seedRoleAssignment({ scope, roleDefinitionId: READER, principalId: ALICE });
    expect(await provider.inspect(request(), ctx(), "grant")).toEqual({ present: true, ours: false });
    const contributor = await provider.inspect(request({ role: { name: "Contributor" } }), ctx(), "grant");
    expect(contributor.present).toBe(false);
  });

  test("an assignment named after this request or one of our others is ours", async () => {
    const c = ctx();
    await provider.grant(request(), c);
    expect(await provider.inspect(request(), c, "grant")).toEqual({ present: true, ours: true });
    const other = ctx();
    expect(await provider.inspect(request(), other, "check")).toEqual({ present: true, ours: false });
    expect(
      await provider.inspect(request(), { ...other, ownCorrelationIds: [c.correlationId] }, "check"),
    ).toEqual({ present: true, ours: true });
  });
});

describe("revoke", () => {
  test("deletes the grant's assignment in one call; a second revoke finds it already gone", async () => {
    const c = ctx();
    await provider.grant(request(), c);
    const before = t.sim.snapshot().calls.delete;
    expect(await provider.revoke(request(), c)).toEqual({ alreadyGone: false });
    expect(t.sim.snapshot().calls.delete - before).toBe(1);
    expect(assignments()).toHaveLength(0);
    expect(await provider.revoke(request(), c)).toEqual({ alreadyGone: true });
  });

  test("an assignment another grant of ours created is found and deleted; someone else's never", async () => {
    const first = ctx();
    await provider.grant(request(), first);
    const second = ctx();
    const own = { ...second, ownCorrelationIds: [first.correlationId, second.correlationId] };
    await provider.grant(request(), own);
    expect(await provider.revoke(request(), own)).toEqual({ alreadyGone: false });
    expect(assignments()).toHaveLength(0);

    const theirs = t.sim.seedRoleAssignment({ scope, roleDefinitionId: READER, principalId: ALICE });
    const third = ctx();
    await provider.grant(request(), third); // 409: theirs holds it
    expect(await provider.revoke(request(), { ...third, ownCorrelationIds: [third.correlationId] })).toEqual({
      alreadyGone: true,
    });
    expect(assignments().map((a) => a.name)).toEqual([theirs.name]);
  });

  test("only the grant's own access goes: other grants of other roles stay", async () => {
    const mine = ctx();
    await provider.grant(request(), mine);
    await provider.grant(request({ role: { name: "Contributor" } }), ctx());
    await provider.revoke(request(), mine);
    expect(assignments().map((a) => a.roleDefinitionId)).toEqual([defId(CONTRIBUTOR)]);
  });

  test("a revoke request removes the matching assignment whoever made it", async () => {
    const theirs = t.sim.seedRoleAssignment({ scope, roleDefinitionId: READER, principalId: ALICE });
    t.sim.seedRoleAssignment({ scope, roleDefinitionId: CONTRIBUTOR, principalId: ALICE });
    const revokeReq = request({ action: "revoke", duration: undefined });
    expect(await provider.revoke(revokeReq, ctx())).toEqual({ alreadyGone: false });
    expect(assignments().map((a) => a.name)).not.toContain(theirs.name);
    expect(assignments()).toHaveLength(1);
    expect(await provider.revoke(revokeReq, ctx())).toEqual({ alreadyGone: true });
  });
});

describe("errors", () => {
  const failure = async (p: Promise<unknown>) => {
    const err = await rejectionOf(p);
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  };

  test("an unknown principal is permanent PrincipalNotFound, with Azure's message", async () => {
    const err = await failure(
      provider.grant(request({ principal: { id: crypto.randomUUID(), type: "User" } }), ctx()),
    );
    expect(err).toMatchObject({
      retryable: false,
      code: "provider_permanent",
      providerCode: "PrincipalNotFound",
      httpStatus: 400,
    });
    expect(err.providerMessage).toContain("does not exist in the directory");
  });

  test("an unknown role name is permanent", async () => {
    const err = await failure(provider.grant(request({ role: { name: "No Such Role" } }), ctx()));
    expect(err).toMatchObject({ retryable: false, providerCode: "RoleDefinitionDoesNotExist" });
  });

  test("throttling (429) is transient and nothing was created", async () => {
    t.sim.faults.set({ failNext: 1 });
    const err = await failure(provider.grant(request(), ctx()));
    expect(err).toMatchObject({
      retryable: true,
      code: "provider_transient",
      providerCode: "TooManyRequests",
      httpStatus: 429,
    });
    expect(assignments()).toHaveLength(0);
  });

  test("a server error (500) is transient", async () => {
    t.sim.faults.set({ errorRate: 1 });
    const err = await failure(provider.grant(request(), ctx()));
    expect(err).toMatchObject({ retryable: true, providerCode: "InternalServerError", httpStatus: 500 });
  });

  test("a slow cloud hits the call deadline: transient; the retry is safe if the call landed anyway", async () => {
    const slow = createAzureProvider({ client: t.client(), callTimeoutMs: 200 });
    await slow.revoke(request(), ctx()); // fetches the token, so only ARM is slowed below
    t.sim.faults.set({ latencyMs: 600 });
    const c = ctx();
    const err = await failure(slow.grant(request(), c));
    expect(err).toMatchObject({ retryable: true, providerCode: "Timeout" });
    t.sim.faults.set({ latencyMs: 0 });
    // As with a real cloud, the abandoned PUT still completes server-side…
    for (let i = 0; i < 50 && assignments().length === 0; i++) await Bun.sleep(20);
    expect(assignments()).toHaveLength(1);
    // …and the queue's retry with the same correlation id is a no-op that owns it.
    expect(await slow.grant(request(), c)).toMatchObject({ handle: { held_by: "this" } });
    expect(assignments()).toHaveLength(1);
  });

  test("a wrong client secret is a permanent auth error that does not leak the secret", async () => {
    const wrong = createAzureProvider({ client: t.client({ clientSecret: "definitely-not-it" }) });
    const err = await failure(wrong.grant(request(), ctx()));
    expect(err).toMatchObject({ retryable: false, providerCode: "invalid_client", httpStatus: 401 });
    expect(err.providerMessage).toContain("AADSTS7000215");
    expect(`${err.message} ${err.providerMessage}`).not.toContain("definitely-not-it");
    expect(assignments()).toHaveLength(0);
  });

  test("an unreachable cloud is transient", async () => {
    const { createAzureClient } = await import("./create-azure-client.ts");
    const dead = createAzureProvider({
      client: createAzureClient({
        tenantId: t.cloud.tenantId,
        clientId: t.cloud.clientId,
        clientSecret: t.cloud.clientSecret,
        authorityHost: "https://127.0.0.1:1",
        armEndpoint: "https://127.0.0.1:1",
        caPem: t.cloud.caPem,
      }),
    });
    const err = await failure(dead.grant(request(), ctx()));
    expect(err).toMatchObject({ retryable: true, providerCode: "CredentialUnavailable" });
  });
});
