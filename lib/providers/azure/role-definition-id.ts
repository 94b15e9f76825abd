import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import { type AzureRequest, roleGuid } from "../../schemas/request.ts";
import { ProviderError } from "../types.ts";
import { builtinRoleGuid } from "./builtin-roles.ts";

const SUBSCRIPTION = /^\/*subscriptions\/([^/]+)/i;

/**
 * The role definition id in the form ARM itself reports for assignments at `scope`:
 * `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}` under a
 * subscription, the tenant form at a management group. Role definitions are tenant-wide, so the
 * GUID is what identifies one; the prefix only has to suit the scope.
 */
export function roleDefinitionIdAt(guid: string, scope: string): string {
  const tail = `/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`;
  const sub = SUBSCRIPTION.exec(scope)?.[1];
  return sub === undefined ? tail : `/subscriptions/${sub.toLowerCase()}${tail}`;
}

/**
 * The GUID of the request's role definition: a definition_id as given; a built-in name from the
 * table (no call); any other name by listing the definitions visible at the scope, as Azure's own
 * tools do.
 */
export async function resolveRoleGuid(
  client: AuthorizationManagementClient,
  role: AzureRequest["role"],
  scope: string,
  abortSignal: AbortSignal,
): Promise<string> {
  if ("definition_id" in role) return roleGuid(role.definition_id);
  const builtin = builtinRoleGuid(role.name);
  if (builtin !== undefined) return builtin;
  // OData string literal: a quote is written twice (the schema already refuses quotes; belt and braces).
  const filter = `roleName eq '${role.name.replaceAll("'", "''")}'`;
  const wanted = role.name.trim().toLowerCase();
  for await (const def of client.roleDefinitions.list(scope, { filter, abortSignal })) {
    if (def.roleName?.toLowerCase() === wanted && def.id !== undefined) return roleGuid(def.id);
  }
  throw new ProviderError({
    code: "provider_permanent",
    retryable: false,
    providerCode: "RoleDefinitionDoesNotExist",
    providerMessage: `No role definition named '${role.name}' is visible at scope ${scope}.`,
  });
}
