import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import { isRestError } from "@azure/core-rest-pipeline";
import type { AzureRequest, RequestPayload } from "../../schemas/request.ts";
import {
  type GrantOutcome,
  type ProviderCallContext,
  type ProviderClient,
  ProviderError,
  type RevokeOutcome,
} from "../types.ts";
import { assignmentNameFor } from "./assignment-name.ts";
import { classifyAzureError } from "./classify-azure-error.ts";
import { findAssignment } from "./find-assignment.ts";
import { resolveRoleDefinitionId } from "./role-definition-id.ts";

export interface AzureProviderDeps {
  client: AuthorizationManagementClient;
  /**
   * Deadline for one grant or revoke, token acquisition and paging included, so a job never
   * hangs on an endpoint that accepts connections and then says nothing. Default 30 s.
   */
  callTimeoutMs?: number;
}

/**
 * Azure RBAC through @azure/arm-authorization. Idempotency comes from the assignment name: a
 * UUID v5 of the correlation id, so a redelivered grant PUTs the same name and its revoke deletes
 * exactly that name. An assignment of the same role to the same principal at the same scope
 * under another name existed before us (Azure answers 409 RoleAssignmentExists): it is reported
 * as preExisting and never deleted by us.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAzureProvider(deps: AzureProviderDeps): ProviderClient {
  const { client } = deps;
  const timeoutMs = deps.callTimeoutMs ?? 30_000;

  async function grant(
    payload: AzureRequest,
    correlationId: string,
    signal: AbortSignal,
  ): Promise<GrantOutcome> {
    const name = assignmentNameFor(correlationId);
    const roleDefinitionId = await resolveRoleDefinitionId(client, payload.role, payload.scope, signal);
    const principalId = payload.principal.id.toLowerCase();
    try {
      const created = await client.roleAssignments.create(
        payload.scope,
        name,
        { roleDefinitionId, principalId, principalType: payload.principal.type },
        { abortSignal: signal },
      );
      return {
        preExisting: false,
        handle: {
          assignment_name: name,
          assignment_id: created.id ?? null,
          role_definition_id: roleDefinitionId,
        },
      };
    } catch (err) {
      if (!isRestError(err) || err.statusCode !== 409 || err.code !== "RoleAssignmentExists") throw err;
    }
    // Same principal + role + scope already assigned. Under our name it is our own earlier
    // create (a retry after a lost answer; older ARM also answered an identical re-PUT so).
    const existing = await findAssignment(
      client,
      { scope: payload.scope, principalId, roleDefinitionId, preferName: name },
      signal,
    );
    if (existing === undefined) {
      // It vanished between the PUT and the list; classified transient so the next attempt creates it.
      throw new ProviderError({
        code: "provider_transient",
        retryable: true,
        providerCode: "RoleAssignmentExists",
        providerMessage: "Azure reported an existing assignment that could not be found afterwards.",
        httpStatus: 409,
      });
    }
    if (existing.name?.toLowerCase() === name) {
      return {
        preExisting: false,
        handle: {
          assignment_name: name,
          assignment_id: existing.id ?? null,
          role_definition_id: roleDefinitionId,
        },
      };
    }
    // Someone else's assignment. assignment_name stays ours (nothing exists under it, so a revoke
    // by name is a no-op); theirs is recorded for the audit trail and overlap checks only.
    return {
      preExisting: true,
      handle: {
        assignment_name: name,
        assignment_id: null,
        role_definition_id: roleDefinitionId,
        existing_assignment_id: existing.id ?? null,
        existing_assignment_name: existing.name ?? null,
      },
    };
  }

  /**
   * Is this principal + role assigned exactly at this scope by someone other than this request?
   * An assignment under our own deterministic name is this request's earlier attempt, never
   * access that pre-existed: counting it would make its revoke leave it in place.
   */
  async function hasAccess(
    payload: AzureRequest,
    correlationId: string,
    signal: AbortSignal,
  ): Promise<boolean> {
    const roleDefinitionId = await resolveRoleDefinitionId(client, payload.role, payload.scope, signal);
    const ours = assignmentNameFor(correlationId);
    const existing = await findAssignment(
      client,
      { scope: payload.scope, principalId: payload.principal.id, roleDefinitionId, preferName: ours },
      signal,
    );
    return existing !== undefined && existing.name?.toLowerCase() !== ours;
  }

  /** Deletes by name; ARM answers 204 (or 404 RoleAssignmentNotFound) when there is nothing there. */
  async function deleteByName(scope: string, name: string, signal: AbortSignal): Promise<RevokeOutcome> {
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
      if (isRestError(err) && err.statusCode === 404 && err.code === "RoleAssignmentNotFound") {
        return { alreadyGone: true };
      }
      throw err;
    }
    return { alreadyGone: status === 204 };
  }

  async function revoke(
    payload: AzureRequest,
    ctx: ProviderCallContext,
    signal: AbortSignal,
  ): Promise<RevokeOutcome> {
    if (payload.action === "grant") {
      // Undo our own grant: by the name the worker recorded for it, which is always one of our
      // own deterministic names (its own, or the one it inherited from an overlapping grant of
      // ours that expired first); by the name derived from its correlation id otherwise. A name
      // of an assignment that pre-existed is never recorded there, so it can never be deleted.
      const recorded = ctx.handle?.assignment_name;
      const name =
        typeof recorded === "string" && GUID.test(recorded) ? recorded : assignmentNameFor(ctx.correlationId);
      return deleteByName(payload.scope, name, signal);
    }
    // A revoke request: remove this access now, whoever granted it.
    const roleDefinitionId = await resolveRoleDefinitionId(client, payload.role, payload.scope, signal);
    const existing = await findAssignment(
      client,
      { scope: payload.scope, principalId: payload.principal.id, roleDefinitionId },
      signal,
    );
    if (existing?.name === undefined) return { alreadyGone: true };
    return deleteByName(payload.scope, existing.name, signal);
  }

  async function run<T>(
    payload: RequestPayload,
    op: (p: AzureRequest, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
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
    hasAccess(payload, ctx) {
      return run(payload, (p, signal) => hasAccess(p, ctx.correlationId, signal));
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
        return grant(p, ctx.correlationId, signal);
      });
    },
    revoke(payload, ctx) {
      return run(payload, (p, signal) => revoke(p, ctx, signal));
    },
  };
}
