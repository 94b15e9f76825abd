import type { RequestRow } from "../db/requests.ts";
import type { CanonicalAccess, ProviderHandle } from "../providers/types.ts";
import type { RequestPayload } from "../schemas/request.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/**
 * What an earlier call looked up and stored on the row (provider_handle), e.g. an Azure role GUID.
 * Only ProviderHandles are ever stored there (the decision's `resolved`, a grant's `handle`), and
 * a provider checks what it reads from it (the Azure role GUID's type and form).
 */
export function resolvedOf(row: RequestRow): ProviderHandle {
  return (row.provider_handle ?? {}) as ProviderHandle;
}

/**
 * The row's canonical access key. Once ownership is decided the row's key is canonical already
 * (the decision stored it); before, the provider builds it (asking the cloud only for a custom
 * Azure role name), and the decision stores it, so the lock and every overlap check use it.
 */
export async function canonicalAccessOf(
  deps: Pick<WorkerDeps, "provider">,
  row: RequestRow,
  payload: RequestPayload,
): Promise<CanonicalAccess> {
  if (row.pre_existing !== null) return { accessKey: row.access_key, resolved: resolvedOf(row) };
  return await deps.provider.canonical(payload);
}
