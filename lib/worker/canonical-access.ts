import type { RequestRow } from "../db/requests.ts";
import type { CanonicalAccess, HandleValue, ProviderHandle } from "../providers/types.ts";
import type { RequestPayload } from "../schemas/request.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** What an earlier call looked up and stored on the row (provider_handle), e.g. an Azure role GUID. */
export function resolvedOf(row: RequestRow): ProviderHandle {
  const handle = (row.provider_handle ?? {}) as Record<string, unknown>;
  const out: ProviderHandle = {};
  for (const [k, v] of Object.entries(handle)) {
    if (v === null || ["string", "number", "boolean"].includes(typeof v)) out[k] = v as HandleValue;
  }
  return out;
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
  const stored = resolvedOf(row);
  if (row.pre_existing !== null) return { accessKey: row.access_key, resolved: stored };
  return await deps.provider.canonical(payload);
}
