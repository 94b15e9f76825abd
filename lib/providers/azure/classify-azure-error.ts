import { isRestError } from "@azure/core-rest-pipeline";
import { ProviderError, parseRetryAfter } from "../types.ts";

/**
 * The one place where what the Azure SDKs throw becomes a ProviderError. Retryable: throttling
 * (429), server errors (5xx), 408, timeouts and aborts, network failures (a RestError with no
 * status), and an Entra token endpoint that is down or unreachable. Permanent: every other 4xx
 * (no such principal or role, access denied, bad scope or name) and a rejected client credential.
 * The cloud's own code and message are kept; bearer tokens and client secrets are scrubbed.
 */

/**
 * 409s that will not go away by waiting. Other conflicts (AnotherOperationInProgress, or a
 * RoleAssignmentExists whose holder vanished before our lookup) are worth another attempt.
 */
const PERMANENT_CONFLICTS = new Set(["ScopeLocked", "RoleAssignmentLimitExceeded"]);

const MAX_MESSAGE = 1000;

export function scrubSecrets(text: string): string {
  return text
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]")
    .replace(/(client_secret|access_token|client_assertion)=[^&\s"]+/gi, "$1=[redacted]")
    .slice(0, MAX_MESSAGE);
}

function make(
  retryable: boolean,
  providerCode: string,
  message: string,
  httpStatus: number | undefined,
  cause: unknown,
  retryAfterMs?: number,
): ProviderError {
  return new ProviderError({
    code: retryable ? "provider_transient" : "provider_permanent",
    retryable,
    providerCode,
    providerMessage: scrubSecrets(message),
    httpStatus,
    ...(retryable && retryAfterMs !== undefined ? { retryAfterMs } : {}),
    cause,
  });
}

const retryableStatus = (s: number) => s === 408 || s === 429 || s >= 500;

const field = (o: unknown, key: string): unknown =>
  typeof o === "object" && o !== null ? (o as Record<string, unknown>)[key] : undefined;
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ConnectionRefused",
  "ConnectionClosed",
]);

export function classifyAzureError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const name = str(field(err, "name")) ?? "";
  const message = str(field(err, "message")) ?? String(err);

  if (isRestError(err)) {
    const status = err.statusCode;
    const code = err.code ?? (status === undefined ? "REQUEST_SEND_ERROR" : `HTTP${status}`);
    // No status: the request never got an answer (connection refused or reset, TLS failure, DNS).
    if (status === undefined) return make(true, code, message, undefined, err);
    if (retryableStatus(status)) {
      const hint = parseRetryAfter(err.response?.headers.get("retry-after"), Date.now());
      return make(true, code, message, status, err, hint);
    }
    if (status === 409) return make(!PERMANENT_CONFLICTS.has(code), code, message, status, err);
    // A 2xx the SDK could not parse: a proxy's page or a cut-off body, not a verdict.
    if (code === "PARSE_ERROR" && status < 300) return make(true, code, message, status, err);
    return make(false, code, message, status, err);
  }

  // Our per-call deadline, or the caller's abort: the cloud may still be working, so retry.
  if (name === "AbortError" || name === "TimeoutError") return make(true, "Timeout", message, undefined, err);

  // @azure/identity wraps MSAL's failures. The MSAL ServerError in `cause` carries Entra's own
  // code (invalid_client for a wrong secret) and the HTTP status of the token endpoint.
  if (name === "AuthenticationRequiredError" || name === "AuthenticationError") {
    const cause = field(err, "cause");
    const errorResponse = field(err, "errorResponse");
    const status = num(field(cause, "status")) ?? num(field(err, "statusCode"));
    const code = str(field(cause, "errorCode")) ?? str(field(errorResponse, "error")) ?? name;
    const transient =
      (status !== undefined && retryableStatus(status)) ||
      code === "server_error" ||
      code === "temporarily_unavailable" ||
      (status === undefined && str(field(cause, "errorCode")) === undefined && errorResponse === undefined);
    return make(transient, code, message, status, err);
  }

  // MSAL could not reach the authority's metadata (network down, TLS not trusted). A network
  // blip heals; a misconfigured authority keeps failing until the job's attempts run out.
  if (name === "CredentialUnavailableError")
    return make(true, "CredentialUnavailable", message, undefined, err);

  const sysCode = str(field(err, "code"));
  if (sysCode !== undefined && NETWORK_CODES.has(sysCode))
    return make(true, sysCode, message, undefined, err);

  // Unknown: retry, bounded by the job's attempts, rather than declare a grant impossible.
  return make(true, name || "UnknownError", message, undefined, err);
}
