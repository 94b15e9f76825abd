import { AppError } from "../errors/app-error.ts";
import type { RequestPayload } from "../schemas/request.ts";

/** What a grant did, stored on the request row (provider_handle) so its revoke can undo exactly it. */
export interface GrantOutcome {
  /** The access was already there before this grant: its revoke must leave it alone. */
  preExisting: boolean;
  /** Provider-side handle, e.g. `{ assignment_id, assignment_name }` on Azure. JSON-serialisable. */
  handle: Record<string, string | number | boolean | null>;
}

export interface RevokeOutcome {
  /** The access was already gone (someone removed it by hand): nothing to do, not an error. */
  alreadyGone: boolean;
}

export interface ProviderCallContext {
  correlationId: string;
  /** Set on revoke: what the grant recorded. */
  handle?: GrantOutcome["handle"];
}

/** One cloud. Each implementation classifies its SDK's errors into ProviderError, once. */
export interface ProviderClient {
  readonly provider: RequestPayload["provider"];
  /**
   * Is the access in place right now? The worker asks this once, before its first attempt to
   * grant, and records the answer: a retry after a lost answer would otherwise find its own
   * earlier attempt's access and take it for pre-existing (and never revoke it).
   */
  hasAccess(payload: RequestPayload, ctx: ProviderCallContext): Promise<boolean>;
  /** Apply the access; idempotent (a retried grant changes nothing more). */
  grant(payload: RequestPayload, ctx: ProviderCallContext): Promise<GrantOutcome>;
  /** Remove the access the payload describes; idempotent (already gone → alreadyGone). */
  revoke(payload: RequestPayload, ctx: ProviderCallContext): Promise<RevokeOutcome>;
}

/**
 * A classified cloud error. `providerCode`/`providerMessage` are the cloud's own words, kept for
 * error_details; `retryable` separates throttling, 5xx, timeouts and network errors from
 * permanent ones (no such principal or policy, malformed policy, access denied, bad scope).
 */
export class ProviderError extends AppError {
  readonly code: string;
  readonly retryable: boolean;
  readonly providerCode: string;
  readonly providerMessage: string;
  readonly httpStatus: number | undefined;
  constructor(args: {
    code: "provider_transient" | "provider_permanent";
    retryable: boolean;
    providerCode: string;
    providerMessage: string;
    httpStatus?: number;
    cause?: unknown;
  }) {
    super(`${args.providerCode}: ${args.providerMessage}`, { cause: args.cause });
    this.code = args.code;
    this.retryable = args.retryable;
    this.providerCode = args.providerCode;
    this.providerMessage = args.providerMessage;
    this.httpStatus = args.httpStatus;
  }
}
