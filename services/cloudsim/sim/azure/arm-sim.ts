import {
  type ApplyFaultsOptions,
  applyFaults,
  createFaultState,
  type FaultConfig,
  type FaultState,
  hangUntilAbandoned,
} from "../faults.ts";
import { armError } from "./arm-response.ts";
import { ARM_AUDIENCES, handleEntra } from "./entra.ts";
import { deleteAssignment, getAssignment, listAssignments, putAssignment } from "./role-assignments.ts";
import { getRoleDefinition, listRoleDefinitions } from "./role-definitions.ts";
import { parseScope } from "./scope.ts";
import {
  type ArmSeed,
  applyArmSeed,
  type PrincipalSeed,
  type RoleAssignmentSeed,
  type RoleDefinitionSeed,
  seedPrincipals,
  seedRoleAssignment,
  seedRoleDefinition,
} from "./seed.ts";
import {
  type ArmState,
  type CallCounts,
  createArmState,
  type PrincipalRecord,
  type RoleAssignmentRecord,
  type RoleDefinitionRecord,
  resetArmState,
  roleAssignmentId,
  roleDefinitionId,
} from "./state.ts";

/** Dev defaults; the cloudsim service overrides them from its config. Never real credentials. */
export const DEFAULT_TENANT_ID = "11111111-1111-4111-8111-111111111111";
export const DEFAULT_CLIENT_ID = "22222222-2222-4222-8222-222222222222";
export const DEFAULT_CLIENT_SECRET = "cloudsim-dev-secret";

export interface ArmSimBehaviour {
  /** Items per list page; small by default so every list exercises nextLink. */
  pageSize: number;
  /** Answer an identical re-PUT with 409 RoleAssignmentExists (older ARM) instead of 201. */
  identicalRePutConflicts: boolean;
}

export interface ArmSimOptions {
  faults?: Partial<FaultConfig>;
  /**
   * Scheme://host:port for the URLs the simulator hands out (OpenID metadata, nextLink). Default:
   * the origin each request was addressed to, which is right wherever clients dial from (loopback
   * in tests, a compose service name in containers); set it only behind a proxy that rewrites Host.
   */
  baseUrl?: () => string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  behaviour?: Partial<ArmSimBehaviour>;
  /** Randomness and sleep for the fault knobs; tests pass fixed ones. */
  faultOptions?: ApplyFaultsOptions;
}

export interface ArmSnapshot {
  tenantId: string;
  principals: PrincipalRecord[];
  customRoleDefinitions: Array<Pick<RoleDefinitionRecord, "guid" | "roleName" | "assignableScopes">>;
  roleAssignments: Array<{
    id: string;
    name: string;
    scope: string;
    roleDefinitionId: string;
    principalId: string;
    principalType: string;
    createdOn: string;
  }>;
  /** Mutating calls are create + delete attempts that reached the handler. */
  calls: CallCounts & { mutating: number };
  faults: FaultConfig;
  behaviour: ArmSimBehaviour;
}

export interface ArmSim {
  readonly tenantId: string;
  readonly clientId: string;
  readonly faults: FaultState;
  handle(req: Request): Promise<Response>;
  snapshot(): ArmSnapshot;
  /** Back to an empty tenant (built-in roles only), no faults, initial behaviour. Issued tokens stay valid. */
  reset(): void;
  configure(patch: Partial<ArmSimBehaviour>): void;
  seed(seed: ArmSeed): void;
  seedPrincipals(...principals: PrincipalSeed[]): PrincipalRecord[];
  seedRoleDefinition(def: RoleDefinitionSeed): RoleDefinitionRecord;
  seedRoleAssignment(assignment: RoleAssignmentSeed): RoleAssignmentRecord;
}

const AUTHZ = "/providers/microsoft.authorization/";
const API_VERSIONS = new Set([
  "2015-07-01",
  "2018-01-01-preview",
  "2018-09-01-preview",
  "2020-04-01-preview",
  "2020-10-01-preview",
  "2022-04-01",
  "2022-05-01-preview",
]);

type ArmRoute = { scope: string; collection: "roleAssignments" | "roleDefinitions"; id: string | null };

/** `/{scope}/providers/Microsoft.Authorization/{collection}[/{id}]`; the last such marker wins (resource scopes contain `/providers/`). */
function matchArmRoute(path: string): ArmRoute | null {
  const at = path.toLowerCase().lastIndexOf(AUTHZ);
  if (at < 0) return null;
  const scope = path.slice(0, at);
  const [collection = "", id, ...extra] = path.slice(at + AUTHZ.length).split("/");
  if (extra.length > 0 || id === "") return null;
  const c = collection.toLowerCase();
  if (c !== "roleassignments" && c !== "roledefinitions") return null;
  return {
    scope,
    collection: c === "roleassignments" ? "roleAssignments" : "roleDefinitions",
    id: id ?? null,
  };
}

export function createArmSim(opts: ArmSimOptions = {}): ArmSim {
  const tenantId = (opts.tenantId ?? DEFAULT_TENANT_ID).toLowerCase();
  const clientId = (opts.clientId ?? DEFAULT_CLIENT_ID).toLowerCase();
  const clientSecret = opts.clientSecret ?? DEFAULT_CLIENT_SECRET;
  const initialBehaviour: ArmSimBehaviour = {
    pageSize: 2,
    identicalRePutConflicts: false,
    ...opts.behaviour,
  };
  let behaviour = { ...initialBehaviour };
  const faults = createFaultState(opts.faults ?? {});
  const state: ArmState = createArmState();
  const entra = { tenantId, clientId, clientSecret };

  function authenticate(req: Request): Response | undefined {
    const header = req.headers.get("authorization");
    const m = header === null ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (!m)
      return armError(
        401,
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is missing.",
      );
    const token = state.tokens.get(m[1] ?? "");
    if (token === undefined)
      return armError(401, "InvalidAuthenticationToken", "The access token is invalid.");
    if (token.expiresAt <= Date.now()) {
      return armError(
        401,
        "ExpiredAuthenticationToken",
        "The access token expiry UTC time is earlier than current UTC time.",
      );
    }
    if (!ARM_AUDIENCES.includes(token.audience)) {
      return armError(
        401,
        "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${token.audience}'. It should exactly ` +
          `match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(",")}.`,
      );
    }
    return undefined;
  }

  async function handleArm(req: Request, url: URL, path: string, baseUrl: string): Promise<Response> {
    const route = matchArmRoute(path);
    if (route === null)
      return armError(404, "NotFound", `The simulator has no route for ${req.method} ${path}.`);
    const denied = authenticate(req);
    if (denied) return denied;
    const fault = await applyFaults(faults, opts.faultOptions, { action: operationId(req.method, route) });
    if (fault?.kind === "throttle") {
      return armError(
        429,
        "TooManyRequests",
        "The request is being throttled as the limit has been reached for operation type - Write.",
        { "retry-after": String(fault.retryAfterSeconds ?? 1) },
      );
    }
    if (fault?.kind === "hang") {
      await hangUntilAbandoned(req);
      return armError(504, "GatewayTimeout", "The gateway did not receive a response in time.");
    }
    if (fault?.kind === "server_error") {
      return armError(500, "InternalServerError", "Encountered internal server error. Please try again.");
    }
    const apiVersion = url.searchParams.get("api-version");
    if (apiVersion === null) {
      return armError(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    }
    if (!API_VERSIONS.has(apiVersion)) {
      return armError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid.`);
    }
    const scope = parseScope(route.scope);
    if (!scope.ok) return armError(scope.status, scope.code, scope.message);
    const ctx = {
      state,
      baseUrl,
      pageSize: behaviour.pageSize,
      identicalRePutConflicts: behaviour.identicalRePutConflicts,
      callerId: clientId,
    };
    const method = req.method.toUpperCase();
    if (fault?.kind === "drop_reply") {
      // Applied, and the answer never arrives: the caller cannot tell this from a hung call.
      const applied = await dispatchArm(ctx, scope, route, method, req, url, path);
      await hangUntilAbandoned(req);
      return applied;
    }
    return await dispatchArm(ctx, scope, route, method, req, url, path);
  }

  async function dispatchArm(
    ctx: Parameters<typeof putAssignment>[0],
    scope: Extract<ReturnType<typeof parseScope>, { ok: true }>,
    route: ArmRoute,
    method: string,
    req: Request,
    url: URL,
    path: string,
  ): Promise<Response> {
    if (route.collection === "roleDefinitions") {
      if (method !== "GET") return methodNotAllowed(method);
      return route.id === null
        ? listRoleDefinitions(ctx, scope, url, path)
        : getRoleDefinition(ctx, scope, route.id);
    }
    if (route.id === null) {
      return method === "GET" ? listAssignments(ctx, scope, url, path) : methodNotAllowed(method);
    }
    switch (method) {
      case "PUT":
        return putAssignment(ctx, scope, route.id, req);
      case "GET":
        return getAssignment(ctx, scope, route.id);
      case "DELETE":
        return deleteAssignment(ctx, scope, route.id);
      default:
        return methodNotAllowed(method);
    }
  }

  return {
    tenantId,
    clientId,
    faults,
    async handle(req) {
      const url = new URL(req.url);
      // The SDK joins endpoint + "/" + scope, so scopes starting with "/" arrive as "//subscriptions/…".
      let path: string;
      try {
        path = decodeURIComponent(url.pathname.replace(/^\/{2,}/, "/"));
      } catch {
        return armError(400, "InvalidRequestUri", "The request URI is not valid.");
      }
      try {
        const baseUrl = opts.baseUrl?.() ?? url.origin;
        const fromEntra = await handleEntra(req, path, state, entra, baseUrl);
        return fromEntra ?? (await handleArm(req, url, path, baseUrl));
      } catch (err) {
        // A simulator bug must look like a cloud 500, never crash the server.
        const message = err instanceof Error ? err.message : String(err);
        return armError(500, "InternalServerError", `simulator error: ${message}`);
      }
    },
    snapshot() {
      const sub = (scope: string) =>
        /^\/subscriptions\/([0-9a-f-]{36})/i.exec(scope)?.[1]?.toLowerCase() ?? null;
      return {
        tenantId,
        principals: [...state.principals.values()].map((p) => ({ ...p })),
        customRoleDefinitions: [...state.customRoles.values()].map((r) => ({
          guid: r.guid,
          roleName: r.roleName,
          assignableScopes: [...r.assignableScopes],
        })),
        roleAssignments: [...state.assignments.values()].map((a) => ({
          id: roleAssignmentId(a),
          name: a.name,
          scope: a.scope,
          roleDefinitionId: roleDefinitionId(a.roleDefinitionGuid, sub(a.scope)),
          principalId: a.principalId,
          principalType: a.principalType,
          createdOn: a.createdOn,
        })),
        calls: { ...state.calls, mutating: state.calls.create + state.calls.delete },
        faults: { ...faults.current() },
        behaviour: { ...behaviour },
      };
    },
    reset() {
      resetArmState(state);
      faults.reset();
      behaviour = { ...initialBehaviour };
    },
    configure(patch) {
      if (patch.pageSize !== undefined && (!Number.isInteger(patch.pageSize) || patch.pageSize < 1)) {
        throw new Error("pageSize must be a positive integer");
      }
      behaviour = { ...behaviour, ...patch };
    },
    seed: (seed) => applyArmSeed(state, seed),
    seedPrincipals: (...principals) => seedPrincipals(state, principals),
    seedRoleDefinition: (def) => seedRoleDefinition(state, def),
    seedRoleAssignment: (assignment) => seedRoleAssignment(state, assignment),
  };
}

/** The ARM operation id of a call, the name fault rules target it by. */
function operationId(method: string, route: ArmRoute): string {
  const m = method.toUpperCase();
  if (route.collection === "roleDefinitions")
    return route.id === null ? "RoleDefinitions_List" : "RoleDefinitions_Get";
  if (route.id === null) return "RoleAssignments_ListForScope";
  if (m === "PUT") return "RoleAssignments_Create";
  if (m === "DELETE") return "RoleAssignments_Delete";
  return "RoleAssignments_Get";
}

function methodNotAllowed(method: string): Response {
  return armError(405, "MethodNotAllowed", `The HTTP method '${method}' is not supported here.`);
}
