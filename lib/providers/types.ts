import { AppError } from "../errors/app-error.ts";
import type { RequestPayload } from "../schemas/request.ts";

export type HandleValue = string | number | boolean | null;
/** Provider-side details of a request, stored on its row (provider_handle). JSON-serialisable. */
export type ProviderHandle = Record<string, HandleValue>;

/** The one access a request names, as the cloud identifies it (docs/revocation.md, "access keys"). */
export interface CanonicalAccess {
  /**
   * Equal for every spelling of the same access (ARN case, a role by name or by definition id,
   * scope case and slashes), different for any two accesses: overlapping grants share it.
   */
  accessKey: string;
  /** What had to be looked up to build the key (e.g. an Azure role's GUID), reused by later calls. */
  resolved: ProviderHandle;
}

/** What a grant's write did, stored on the row so later calls (and people) can see it. */
export interface GrantOutcome {
  handle: ProviderHandle;
}

export interface RevokeOutcome {
  /** Nothing of ours was there to remove (already removed, by us or by hand): not an error. */
  alreadyGone: boolean;
}

/** The answer of one read: is the access in place right now? */
export interface Inspection {
  present: boolean;
  /**
   * Whether what holds the access is ours (Azure: an assignment named after one of
   * `ownCorrelationIds` or this request); null where the cloud cannot tell who applied an
   * access (AWS IAM records no author for an attachment).
   */
  ours: boolean | null;
  /** The `readTag` of the read that answered (a shared read's may be older than the caller's). */
  readTag?: number;
}

export interface ProviderCallContext {
  correlationId: string;
  /** From `canonical()`, stored on the row: saves looking the same thing up again. */
  resolved?: ProviderHandle;
  /**
   * Every request of ours that may have applied this access (its rows with pre_existing = false).
   * Azure names its assignments after them; a revoke removes those and never anything else.
   */
  ownCorrelationIds?: readonly string[];
  /**
   * How recent the read must be, as the caller counts (the worker: the database clock when its
   * decision began). A read for the same principal already in flight may answer this one too
   * (lib/providers/shared-reads.ts); the inspection then says the tag of the caller that started
   * it, which is earlier.
   */
  readTag?: number;
}

/** One cloud. Each implementation classifies its SDK's errors into ProviderError, once. */
export interface ProviderClient {
  readonly provider: RequestPayload["provider"];
  /**
   * Whether the cloud can say whose an access is (Azure: assignments named after our requests):
   * then its calls take `ownCorrelationIds`, and the worker fetches them; AWS needs none.
   */
  readonly attributable: boolean;
  /** The canonical access key; asks the cloud only for what the request leaves open. */
  canonical(payload: RequestPayload): Promise<CanonicalAccess>;
  /**
   * Is the access in place now? One read. `purpose: "grant"` is the look before a grant's first
   * write; a provider may refuse there what it must not overwrite (an inline policy of that name
   * with another document). `"check"` is the drift sweep's look, which never refuses.
   */
  inspect(payload: RequestPayload, ctx: ProviderCallContext, purpose: "grant" | "check"): Promise<Inspection>;
  /** Applies the access without looking first; idempotent (a retried grant changes nothing more). */
  grant(payload: RequestPayload, ctx: ProviderCallContext): Promise<GrantOutcome>;
  /**
   * For a grant's payload: removes what of ours holds the access, never anything else. For a
   * revoke request (action "revoke"): removes the access whoever applied it. Idempotent.
   */
  revoke(payload: RequestPayload, ctx: ProviderCallContext): Promise<RevokeOutcome>;
}

/**
 * `provider_transient` / `provider_permanent`: the cloud's verdict. `call_budget_wait_exceeded`:
 * our own account budget (lib/providers/budget) had no slot within its deadline, so the call was
 * never sent; transient, like the throttling it stands in for.
 */
export type ProviderErrorCode = "provider_transient" | "provider_permanent" | "call_budget_wait_exceeded";

/**
 * A classified cloud error. `providerCode`/`providerMessage` are the cloud's own words, kept for
 * error_details; `retryable` separates throttling, 5xx, timeouts and network errors from
 * permanent ones (no such principal or policy, malformed policy, access denied, bad scope).
 * `retryAfterMs` is the cloud's own hint (a Retry-After header), when it sent one.
 */
export class ProviderError extends AppError {
  readonly code: string;
  readonly retryable: boolean;
  readonly providerCode: string;
  readonly providerMessage: string;
  readonly httpStatus: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(args: {
    code: ProviderErrorCode;
    retryable: boolean;
    providerCode: string;
    providerMessage: string;
    httpStatus?: number;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(`${args.providerCode}: ${args.providerMessage}`, { cause: args.cause });
    this.code = args.code;
    this.retryable = args.retryable;
    this.providerCode = args.providerCode;
    this.providerMessage = args.providerMessage;
    this.httpStatus = args.httpStatus;
    this.retryAfterMs = args.retryAfterMs;
  }
}

/**
 * A Retry-After header value (delta-seconds or an HTTP date) as milliseconds from `nowMs`;
 * undefined when absent or unreadable. Bounded to a day: a hint is a hint, not a command to sleep.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Math.min(Number(text) * 1000, 86_400_000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), 86_400_000);
}
