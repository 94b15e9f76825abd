import { beforeEach, describe, expect, test } from "bun:test";
import {
  type ArmSim,
  createArmSim,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_TENANT_ID,
} from "./index.ts";

// Wire-level behaviour of the ARM + Entra simulator, through its fetch handler (no sockets).
// The SDK-level tests over HTTPS are in arm-sdk.test.ts.

const BASE = "https://127.0.0.1:4567";
const SUB = "5f3c1c1e-9b0a-4d55-8f55-3b1f0c7e2a11";
const RG = `/subscriptions/${SUB}/resourceGroups/rg-app`;
const ALICE = "0a0b0c0d-0000-4000-8000-000000000001";
const BOB = "0a0b0c0d-0000-4000-8000-000000000002";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const API = "api-version=2022-04-01";
const defId = (guid: string) =>
  `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const raPath = (scope: string, name: string) =>
  `/${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;

let sim: ArmSim;
let token: string;

async function getToken(
  form: Record<string, string> = {},
  tenant = DEFAULT_TENANT_ID,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: DEFAULT_CLIENT_ID,
    client_secret: DEFAULT_CLIENT_SECRET,
    scope: "https://management.azure.com/.default",
    ...form,
  });
  const res = await sim.handle(
    new Request(`${BASE}/${tenant}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function call(method: string, path: string, body?: unknown, auth: string | null = `Bearer ${token}`) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth !== null) headers.authorization = auth;
  const res = await sim.handle(
    new Request(`${BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: (text ? JSON.parse(text) : null) as Record<string, unknown>,
  };
}

const put = (name: string, props: Record<string, unknown>, scope = RG) =>
  call("PUT", `${raPath(scope, name)}?${API}`, { properties: props });

beforeEach(async () => {
  sim = createArmSim({ baseUrl: () => BASE });
  sim.seedPrincipals({ id: ALICE, type: "User" }, BOB);
  const t = await getToken();
  token = String(t.body.access_token);
});

describe("Entra token endpoint", () => {
  test("openid-configuration names endpoints on the same scheme, host and port", async () => {
    const res = await sim.handle(
      new Request(`${BASE}/${DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration`),
    );
    const doc = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    for (const k of ["authorization_endpoint", "token_endpoint", "issuer", "jwks_uri"]) {
      expect(doc[k]?.startsWith(`${BASE}/${DEFAULT_TENANT_ID}/`)).toBe(true);
    }
  });

  test("without a fixed baseUrl, URLs follow the origin the client dialled (e.g. a compose service name)", async () => {
    const bare = createArmSim();
    const res = await bare.handle(
      new Request(`https://cloudsim:4567/${DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration`),
    );
    expect(((await res.json()) as Record<string, string>).token_endpoint).toBe(
      `https://cloudsim:4567/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`,
    );
  });

  test("client credentials give an opaque bearer token for an hour", async () => {
    const t = await getToken();
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600 });
    expect(String(t.body.access_token)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  test("a wrong secret is 401 invalid_client, an unknown app 400 unauthorized_client, an unknown tenant 400", async () => {
    const bad = await getToken({ client_secret: "nope" });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe("invalid_client");
    expect(String(bad.body.error_description)).toStartWith("AADSTS7000215:");
    expect(JSON.stringify(bad.body)).not.toContain(DEFAULT_CLIENT_SECRET);
    expect((await getToken({ client_id: crypto.randomUUID() })).body.error).toBe("unauthorized_client");
    expect((await getToken({}, crypto.randomUUID())).body.error).toBe("invalid_tenant");
  });

  test("instance discovery is answered for MSAL configurations that still ask", async () => {
    const res = await sim.handle(new Request(`${BASE}/common/discovery/instance?api-version=1.1`));
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).tenant_discovery_endpoint).toContain(
      DEFAULT_TENANT_ID,
    );
  });
});

describe("ARM authentication", () => {
  const path = `${raPath(RG, crypto.randomUUID())}?${API}`;
  test("no Authorization header → 401 AuthenticationFailed", async () => {
    const r = await call("GET", path, undefined, null);
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "AuthenticationFailed" });
  });
  test("a token the simulator never issued → 401", async () => {
    const r = await call("GET", path, undefined, "Bearer made-up");
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "InvalidAuthenticationToken" });
  });
  test("a token for another audience (a client without credentialScopes) → 401", async () => {
    const other = await getToken({ scope: `${BASE}/.default` });
    const r = await call("GET", path, undefined, `Bearer ${other.body.access_token}`);
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "InvalidAuthenticationTokenAudience" });
  });
});

describe("role assignments", () => {
  test("PUT creates (201) with ARM's id forms; GET reads it; double leading slash is collapsed", async () => {
    const name = crypto.randomUUID();
    const created = await call("PUT", `/${raPath(RG, name)}?${API}`, {
      properties: { roleDefinitionId: defId(READER), principalId: ALICE, principalType: "User" },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: `${RG}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      name,
      type: "Microsoft.Authorization/roleAssignments",
      properties: { roleDefinitionId: defId(READER), principalId: ALICE, principalType: "User", scope: RG },
    });
    const got = await call("GET", `${raPath(RG, name)}?${API}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created.json);
    expect(sim.snapshot().roleAssignments).toHaveLength(1);
  });

  test("identical re-PUT under the same name answers 201 and creates nothing more", async () => {
    const name = crypto.randomUUID();
    const props = { roleDefinitionId: defId(READER), principalId: ALICE, principalType: "User" };
    expect((await put(name, props)).status).toBe(201);
    expect((await put(name, props)).status).toBe(201);
    expect(sim.snapshot().roleAssignments).toHaveLength(1);
    expect(sim.snapshot().calls).toMatchObject({ create: 2, mutating: 2 });
  });

  test("older ARM behaviour on demand: identical re-PUT → 409 RoleAssignmentExists", async () => {
    sim.configure({ identicalRePutConflicts: true });
    const name = crypto.randomUUID();
    const props = { roleDefinitionId: defId(READER), principalId: ALICE };
    expect((await put(name, props)).status).toBe(201);
    const again = await put(name, props);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: "RoleAssignmentExists" });
  });

  test("same principal + role + scope under another name → 409; at another scope it is fine", async () => {
    const props = { roleDefinitionId: defId(READER), principalId: ALICE };
    expect((await put(crypto.randomUUID(), props)).status).toBe(201);
    const dup = await put(crypto.randomUUID(), props);
    expect(dup.status).toBe(409);
    expect(dup.json.error).toMatchObject({ code: "RoleAssignmentExists" });
    expect((await put(crypto.randomUUID(), props, `/subscriptions/${SUB}`)).status).toBe(201);
  });

  test("changing an existing assignment's principal or role → 400 RoleAssignmentUpdateNotPermitted", async () => {
    const name = crypto.randomUUID();
    await put(name, { roleDefinitionId: defId(READER), principalId: ALICE });
    const r = await put(name, { roleDefinitionId: defId(CONTRIBUTOR), principalId: ALICE });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "RoleAssignmentUpdateNotPermitted" });
  });

  test.each([
    [
      "an unknown principal → 400 PrincipalNotFound",
      { principalId: crypto.randomUUID() },
      400,
      "PrincipalNotFound",
    ],
    [
      "an unknown role → 400 RoleDefinitionDoesNotExist",
      { roleDefinitionId: defId(crypto.randomUUID()) },
      400,
      "RoleDefinitionDoesNotExist",
    ],
    [
      "a bare GUID as role id → 400 InvalidRoleDefinitionId",
      { roleDefinitionId: READER },
      400,
      "InvalidRoleDefinitionId",
    ],
    [
      "a mismatched principalType → 400 UnmatchedPrincipalType",
      { principalType: "Group" },
      400,
      "UnmatchedPrincipalType",
    ],
  ])("%s", async (_label, override, status, code) => {
    const r = await put(crypto.randomUUID(), {
      roleDefinitionId: defId(READER),
      principalId: ALICE,
      ...override,
    });
    expect(r.status).toBe(status);
    expect(r.json.error).toMatchObject({ code });
    expect(sim.snapshot().roleAssignments).toHaveLength(0);
  });

  test.each([
    ["InvalidRoleAssignmentId", `${raPath(RG, "not-a-guid")}?${API}`],
    ["InvalidSubscriptionId", `${raPath("/subscriptions/xyz", crypto.randomUUID())}?${API}`],
    ["MissingSubscription", `${raPath("/foo/bar", crypto.randomUUID())}?${API}`],
    [
      "InvalidResourceGroup",
      `${raPath(`/subscriptions/${SUB}/resourceGroups/bad%20rg`, crypto.randomUUID())}?${API}`,
    ],
    ["MissingApiVersionParameter", raPath(RG, crypto.randomUUID())],
  ])("bad name, scope or api-version → 400 %s", async (code, path) => {
    const r = await call("PUT", path, {
      properties: { roleDefinitionId: defId(READER), principalId: ALICE },
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code });
  });

  test("DELETE answers 200 with the assignment, then 204 No Content; GET of a missing one is 404", async () => {
    const name = crypto.randomUUID();
    await put(name, { roleDefinitionId: defId(READER), principalId: ALICE });
    const first = await call("DELETE", `${raPath(RG, name)}?${API}`);
    expect(first.status).toBe(200);
    expect(first.json.name).toBe(name);
    const second = await call("DELETE", `${raPath(RG, name)}?${API}`);
    expect(second.status).toBe(204);
    expect(second.json).toBeNull();
    const got = await call("GET", `${raPath(RG, name)}?${API}`);
    expect(got.status).toBe(404);
    expect(got.json.error).toMatchObject({ code: "RoleAssignmentNotFound" });
    expect(sim.snapshot().calls).toMatchObject({ create: 1, delete: 2, mutating: 3 });
  });
});

describe("listing role assignments", () => {
  const listPath = (scope: string, filter?: string) =>
    `/${scope}/providers/Microsoft.Authorization/roleAssignments?${API}${filter ? `&$filter=${encodeURIComponent(filter)}` : ""}`;

  async function listAll(path: string): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    let next: string | undefined = path;
    while (next !== undefined) {
      const page = await call("GET", next);
      expect(page.status).toBe(200);
      out.push(...(page.json.value as Array<Record<string, unknown>>));
      const link = page.json.nextLink as string | undefined;
      if (link !== undefined) {
        // Used verbatim by the SDK: absolute, https, on our host, api-version kept.
        expect(link.startsWith(`${BASE}/subscriptions/`)).toBe(true);
        expect(new URL(link).searchParams.get("api-version")).toBe("2022-04-01");
      }
      next = link?.slice(BASE.length);
    }
    return out;
  }

  beforeEach(async () => {
    const roles = [READER, CONTRIBUTOR, "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"];
    for (const role of roles)
      await put(crypto.randomUUID(), { roleDefinitionId: defId(role), principalId: ALICE });
    await put(crypto.randomUUID(), { roleDefinitionId: defId(READER), principalId: BOB });
    await put(
      crypto.randomUUID(),
      { roleDefinitionId: defId(READER), principalId: ALICE },
      `/subscriptions/${SUB}`,
    );
    await put(
      crypto.randomUUID(),
      { roleDefinitionId: defId(READER), principalId: ALICE },
      `${RG}/providers/Microsoft.Storage/storageAccounts/st1`,
    );
  });

  test("principalId filter pages (size 2) through everything for that principal at, above and below", async () => {
    const all = await listAll(listPath(RG, `principalId eq '${ALICE}'`));
    expect(all).toHaveLength(5);
    expect(new Set(all.map((a) => a.name)).size).toBe(5);
  });

  test("atScope() leaves out assignments below the scope", async () => {
    const all = await listAll(listPath(RG, `atScope() and principalId eq '${ALICE}'`));
    expect(all).toHaveLength(4);
  });

  test("an unsupported filter is refused, not ignored", async () => {
    const r = await call("GET", listPath(RG, "roleName eq 'Reader'"));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "UnsupportedQuery" });
  });
});

describe("role definitions", () => {
  test("built-ins by name, case-insensitively, with the subscription-scoped id", async () => {
    const r = await call(
      "GET",
      `${RG}/providers/Microsoft.Authorization/roleDefinitions?${API}&$filter=${encodeURIComponent("roleName eq 'storage blob data reader'")}`,
    );
    expect(r.status).toBe(200);
    expect(r.json.value).toEqual([
      expect.objectContaining({
        id: defId("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"),
        name: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        properties: expect.objectContaining({ roleName: "Storage Blob Data Reader", type: "BuiltInRole" }),
      }),
    ]);
  });

  test("custom roles are visible and assignable only within their assignable scopes", async () => {
    const custom = sim.seedRoleDefinition({ roleName: "App Operator", assignableScopes: [RG] });
    const get = await call(
      "GET",
      `${RG}/providers/Microsoft.Authorization/roleDefinitions/${custom.guid}?${API}`,
    );
    expect(get.status).toBe(200);
    const elsewhere = `/subscriptions/${crypto.randomUUID()}`;
    const missing = await call(
      "GET",
      `${elsewhere}/providers/Microsoft.Authorization/roleDefinitions/${custom.guid}?${API}`,
    );
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: "RoleDefinitionDoesNotExist" });
    expect(
      (await put(crypto.randomUUID(), { roleDefinitionId: defId(custom.guid), principalId: ALICE })).status,
    ).toBe(201);
    const outside = await put(
      crypto.randomUUID(),
      { roleDefinitionId: defId(custom.guid), principalId: ALICE },
      `/subscriptions/${SUB}`,
    );
    expect(outside.json.error).toMatchObject({ code: "RoleDefinitionDoesNotExist" });
  });
});

describe("faults, snapshot and reset", () => {
  test("failNext throttles with 429 TooManyRequests + Retry-After, and the call changes nothing", async () => {
    sim.faults.set({ failNext: 1 });
    const r = await put(crypto.randomUUID(), { roleDefinitionId: defId(READER), principalId: ALICE });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(r.json.error).toMatchObject({ code: "TooManyRequests" });
    expect(sim.snapshot().roleAssignments).toHaveLength(0);
    expect(sim.snapshot().calls.mutating).toBe(0);
  });

  test("over the tenant's rate limit: 429 with the wait in Retry-After, and nothing created", async () => {
    sim.faults.set({ ratePerSecond: 0.5, burst: 1 });
    const ok = await put(crypto.randomUUID(), { roleDefinitionId: defId(READER), principalId: ALICE });
    expect(ok.status).toBe(201);
    const r = await put(crypto.randomUUID(), { roleDefinitionId: defId(CONTRIBUTOR), principalId: ALICE });
    expect(r.status).toBe(429);
    // One call every two seconds: the next may go in about two.
    expect(r.headers.get("retry-after")).toBe("2");
    expect(sim.snapshot().roleAssignments).toHaveLength(1);
    expect(sim.faults.stats()).toEqual({ throttled: 1, rateLimited: 1 });
  });

  test("errorRate 1 → 500 InternalServerError", async () => {
    sim.faults.set({ errorRate: 1 });
    const r = await put(crypto.randomUUID(), { roleDefinitionId: defId(READER), principalId: ALICE });
    expect(r.status).toBe(500);
    expect(r.json.error).toMatchObject({ code: "InternalServerError" });
  });

  test("reset empties the tenant and clears faults but keeps issued tokens valid", async () => {
    sim.seedRoleAssignment({ scope: RG, roleDefinitionId: READER, principalId: ALICE });
    sim.faults.set({ throttleRate: 1 });
    sim.reset();
    const snap = sim.snapshot();
    expect(snap.roleAssignments).toHaveLength(0);
    expect(snap.principals).toHaveLength(0);
    expect(snap.faults.throttleRate).toBe(0);
    expect((await call("GET", `${raPath(RG, crypto.randomUUID())}?${API}`)).status).toBe(404);
  });
});
