import type { AuthorizationManagementClient, RoleAssignment } from "@azure/arm-authorization";
import { isRestError } from "@azure/core-rest-pipeline";
import { type AzureRequest, normalizeScope, type RequestPayload, roleGuid } from "../../schemas/request.ts";
import { azureAccessKey } from "../access-key.ts";
import { createSharedReads } from "../shared-reads.ts";
import {
  type CanonicalAccess,
  type GrantOutcome,
  type Inspection,
  type ProviderCallContext,
  type ProviderClient,
  ProviderError,
  type RevokeOutcome,
} from "../types.ts";
import { assignmentNameFor } from "./assignment-name.ts";
import { builtinRoleGuid } from "./builtin-roles.ts";
import { classifyAzureError } from "./classify-azure-error.ts";
import { findAssignments } from "./find-assignment.ts";
import { resolveRoleGuid, roleDefinitionIdAt } from "./role-definition-id.ts";

export interface AzureProviderDeps {
  client: AuthorizationManagementClient;
  /**
   * Deadline for one call of ours (a grant, a revoke, a look), token acquisition and paging
   * included, so a job never hangs on an endpoint that accepts connections and then says nothing.
   * Default 30 s.
   */
  callTimeoutMs?: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The assignment names that are ours for this access: UUIDv5 of each of our correlation ids. */
function ownNames(ctx: ProviderCallContext): Set<string> {
  const ids = new Set([ctx.correlationId, ...(ctx.ownCorrelationIds ?? [])]);
  return new Set([...ids].map(assignmentNameFor));
}

const nameOf = (a: RoleAssignment) => a.name?.toLowerCase() ?? "";

/**
 * Azure RBAC through @azure/arm-authorization. Idempotency and ownership come from the
 * assignment name: a UUID v5 of the correlation id, so a redelivered grant PUTs the same name,
 * and an assignment is ours exactly when its name is that of one of our requests for the same
 * access. A revoke of a grant removes only such assignments (whichever of our overlapping grants
 * created it), never one made by someone else; a revoke request removes the access whoever made it.
 */
export function createAzureProvider(deps: AzureProviderDeps): ProviderClient {
  const { client } = deps;
  const listings = createSharedReads<RoleAssignment[]>();
  const timeoutMs = deps.callTimeoutMs ?? 30_000;

  async function roleGuidOf(p: AzureRequest, ctx: ProviderCallContext | undefined, signal: AbortSignal) {
    const known = ctx?.resolved?.role_guid;
    if (typeof known === "string" && GUID.test(known)) return known.toLowerCase();
    return await resolveRoleGuid(client, p.role, p.scope, signal);
  }

  /**
   * The principal's assignments of the role exactly at the scope. One listing per principal and
   * scope serves every grant of it in flight at once (they differ in role only); `tag` is how old
   * that listing may be (ctx.readTag of the caller that started it).
   */
  async function matches(p: AzureRequest, ctx: ProviderCallContext, signal: AbortSignal) {
    const guid = await roleGuidOf(p, ctx, signal);
    const key = `${p.principal.id.toLowerCase()}|${normalizeScope(p.scope)}`;
    const atScope = await listings(key, ctx.readTag, () =>
      findAssignments(client, { scope: p.scope, principalId: p.principal.id }, signal),
    );
    const found = atScope.value.filter((a) => roleGuid(a.roleDefinitionId ?? "") === guid);
    return { guid, found, tag: atScope.tag };
  }

  async function grant(
    p: AzureRequest,
    ctx: ProviderCallContext,
    signal: AbortSignal,
  ): Promise<GrantOutcome> {
    const name = assignmentNameFor(ctx.correlationId);
    const guid = await roleGuidOf(p, ctx, signal);
    const roleDefinitionId = roleDefinitionIdAt(guid, p.scope);
    try {
      const created = await client.roleAssignments.create(
        p.scope,
        name,
        { roleDefinitionId, principalId: p.principal.id.toLowerCase(), principalType: p.principal.type },
        { abortSignal: signal },
      );
      return { handle: { assignment_name: name, assignment_id: created.id ?? null, held_by: "this" } };
    } catch (err) {
      if (!isRestError(err) || err.statusCode !== 409 || err.code !== "RoleAssignmentExists") throw err;
    }
    // Same principal + role + scope already assigned under another name (or, on older ARM, an
    // identical re-PUT of ours). The access is in place either way; say whose it is.
    const { found } = await matches(p, ctx, signal);
    const mine = ownNames(ctx);
    const holder =
      found.find((a) => nameOf(a) === name) ?? found.find((a) => mine.has(nameOf(a))) ?? found[0];
    if (holder === undefined) {
      // It vanished between the PUT and the list; transient, so the next attempt creates it.
      throw new ProviderError({
        code: "provider_transient",
        retryable: true,
        providerCode: "RoleAssignmentExists",
        providerMessage: "Azure reported an existing assignment that could not be found afterwards.",
        httpStatus: 409,
      });
    }
    const heldBy =
      nameOf(holder) === name ? "this" : mine.has(nameOf(holder)) ? "another grant of ours" : "not us";
    return {
      handle: { assignment_name: holder.name ?? null, assignment_id: holder.id ?? null, held_by: heldBy },
    };
  }

  /** Deletes by name; ARM answers 204 (or 404 RoleAssignmentNotFound) when there is nothing there. */
  async function deleteByName(scope: string, name: string, signal: AbortSignal): Promise<boolean> {
    let status = 0;
    try {
      await client.roleAssignments.delete(scope, name, {
        abortSignal: signal,
        onResponse: (raw) => {
          status = raw.status;
        },
      });
    } catch (err) {
      // Only this code means "no such assignment". Other 404s (subscription or scope not found)
      // may be a misconfigured tenant: calling those "already gone" could leave access in place.
      if (isRestError(err) && err.statusCode === 404 && err.code === "RoleAssignmentNotFound") return false;
      throw err;
    }
    return status !== 204;
  }

  async function revoke(
    p: AzureRequest,
    ctx: ProviderCallContext,
    signal: AbortSignal,
  ): Promise<RevokeOutcome> {
    if (p.action === "grant") {
      // Usually the assignment is this grant's own: one DELETE. Otherwise (an overlapping grant
      // of ours created it), look it up and delete whatever of ours holds the access.
      if (await deleteByName(p.scope, assignmentNameFor(ctx.correlationId), signal)) {
        return { alreadyGone: false };
      }
      const mine = ownNames(ctx);
      const { found } = await matches(p, ctx, signal);
      let removed = 0;
      for (const a of found) {
        if (a.name !== undefined && mine.has(nameOf(a)) && (await deleteByName(p.scope, a.name, signal))) {
          removed++;
        }
      }
      return { alreadyGone: removed === 0 };
    }
    // A revoke request: remove this access now, whoever granted it.
    const { found } = await matches(p, ctx, signal);
    let removed = 0;
    for (const a of found) {
      if (a.name !== undefined && (await deleteByName(p.scope, a.name, signal))) removed++;
    }
    return { alreadyGone: removed === 0 };
  }

  async function run<T>(payload: RequestPayload, op: (p: AzureRequest, signal: AbortSignal) => Promise<T>) {
    if (payload.provider !== "azure") {
      throw new ProviderError({
        code: "provider_permanent",
        retryable: false,
        providerCode: "WrongProvider",
        providerMessage: `the Azure provider was given a ${payload.provider} request`,
      });
    }
    try {
      return await op(payload, AbortSignal.timeout(timeoutMs));
    } catch (err) {
      throw classifyAzureError(err);
    }
  }

  return {
    provider: "azure",
    attributable: true,
    canonical(payload): Promise<CanonicalAccess> {
      return run(payload, async (p, signal): Promise<CanonicalAccess> => {
        const guid = await roleGuidOf(p, undefined, signal);
        // Only a custom role name needed the cloud; its GUID is kept so no later call asks again.
        const looked = "name" in p.role && builtinRoleGuid(p.role.name) === undefined;
        return {
          accessKey: azureAccessKey(p.principal.id, guid, p.scope),
          resolved: looked ? { role_guid: guid } : {},
        };
      });
    },
    inspect(payload, ctx): Promise<Inspection> {
      return run(payload, async (p, signal) => {
        const { found, tag } = await matches(p, ctx, signal);
        const mine = ownNames(ctx);
        return {
          present: found.length > 0,
          ours: found.some((a) => mine.has(nameOf(a))),
          ...(tag === undefined ? {} : { readTag: tag }),
        };
      });
    },
    grant(payload, ctx) {
      return run(payload, (p, signal) => {
        if (p.action !== "grant") {
          throw new ProviderError({
            code: "provider_permanent",
            retryable: false,
            providerCode: "NotAGrant",
            providerMessage: "grant() was given a revoke request",
          });
        }
        return grant(p, ctx, signal);
      });
    },
    revoke(payload, ctx) {
      return run(payload, (p, signal) => revoke(p, ctx, signal));
    },
  };
}
