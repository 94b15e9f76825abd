import { ProviderError, parseRetryAfter } from "../types.ts";

/** IAM's (and the SDK's) names for "this account is calling too fast". LimitExceeded is a quota, not this. */
const THROTTLE_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "SlowDown",
]);

/** Codes that mean "try again later": throttling, IAM's own failures, timeouts, stale credentials. */
const TRANSIENT_CODES = new Set([
  ...THROTTLE_CODES,
  "PriorRequestNotComplete",
  "ServiceFailure",
  "ServiceFailureException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalFailure",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "AbortError",
  // IAM's ConcurrentModification means another change to the same entity was in flight.
  "ConcurrentModification",
  "ConcurrentModificationException",
  // Clock skew or credentials that expired mid-flight: the SDK refreshes them on the next call.
  "ExpiredToken",
  "RequestExpired",
  // Credentials could not be loaded (e.g. the instance metadata service did not answer in time).
  "CredentialsProviderError",
  "IDPCommunicationError",
]);

/**
 * Codes that no retry can fix. Checked before the transient rules: the SDK marks some of them
 * retryable by name (LimitExceededException is in its throttling list) although IAM means a quota.
 */
const PERMANENT_CODES = new Set([
  "NoSuchEntity",
  "MalformedPolicyDocument",
  "AccessDenied",
  "AccessDeniedException",
  "InvalidInput",
  "ValidationError",
  "LimitExceeded",
  "EntityAlreadyExists",
  "UnmodifiableEntity",
  "DeleteConflict",
  "PolicyNotAttachable",
  "InvalidAction",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "UnrecognizedClientException",
  "OptInRequired",
]);

/** Node/Bun socket errors: the request may never have reached IAM, so retrying is safe and useful. */
const NETWORK_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ConnectionRefused",
  "ConnectionClosed",
]);

const MAX_MESSAGE = 1000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * Error text goes to error_details, logs and dashboards: strip anything that looks like a key id,
 * a signature or a session token (defence in depth — IAM's messages do not normally carry them).
 */
export function scrubSecrets(message: string): string {
  const scrubbed = message
    .replace(/\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b/g, "[redacted-key-id]")
    .replace(
      /(Credential|Signature|X-Amz-Security-Token|X-Amz-Signature|x-amz-security-token)=[^\s,&]+/gi,
      "$1=[redacted]",
    )
    .replace(/(aws_secret_access_key|secretAccessKey|sessionToken)\s*[=:]\s*\S+/gi, "$1=[redacted]");
  return scrubbed.length > MAX_MESSAGE ? `${scrubbed.slice(0, MAX_MESSAGE)}…` : scrubbed;
}

/** The socket error code of a network failure, looking one level into `cause` and AggregateError. */
function networkErrno(err: Record<string, unknown>): string | undefined {
  const candidates: unknown[] = [err, err.cause];
  if (Array.isArray(err.errors)) candidates.push(...err.errors);
  for (const c of candidates) {
    if (!isRecord(c)) continue;
    const code = str(c.code);
    if (code !== undefined && NETWORK_ERRNO.has(code)) return code;
  }
  return undefined;
}

/** The service's own hint on when to try again: `Retry-After`, or AWS's `x-amz-retry-after` (ms). */
function retryAfterOf(err: Record<string, unknown>): number | undefined {
  const response = isRecord(err.$response) ? err.$response : undefined;
  const headers = response !== undefined && isRecord(response.headers) ? response.headers : {};
  for (const [name, value] of Object.entries(headers)) {
    const h = name.toLowerCase();
    if (typeof value !== "string") continue;
    if (h === "retry-after") return parseRetryAfter(value, Date.now());
    if (h === "x-amz-retry-after" && /^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  }
  return undefined;
}

/**
 * The one place AWS SDK failures become ProviderError. `providerCode` is IAM's `Code` when the
 * service answered, else the SDK error's name or the socket error code; retryable iff transient.
 */
export function classifyAwsError(thrown: unknown): ProviderError {
  if (thrown instanceof ProviderError) return thrown;
  const err: Record<string, unknown> = isRecord(thrown) ? thrown : { message: String(thrown) };
  const metadata = isRecord(err.$metadata) ? err.$metadata : {};
  const status = typeof metadata.httpStatusCode === "number" ? metadata.httpStatusCode : undefined;
  const errno = networkErrno(err);
  const name = str(err.name) ?? "Error";
  // An SDK service exception carries IAM's Code; a name like "Unknown" (unparseable body) says nothing.
  const providerCode = str(err.Code) ?? errno ?? name;
  const providerMessage = scrubSecrets(str(err.message) ?? providerCode);

  const transient = (() => {
    if (PERMANENT_CODES.has(providerCode) || PERMANENT_CODES.has(name)) return false;
    if (TRANSIENT_CODES.has(providerCode) || TRANSIENT_CODES.has(name)) return true;
    if (errno !== undefined) return true;
    if (isRecord(err.$retryable)) return true;
    if (status !== undefined) return status >= 500 || status === 429 || status === 408;
    // Anything else (a bug, an unexpected throw) will not fix itself by retrying.
    return false;
  })();

  return new ProviderError({
    code: transient ? "provider_transient" : "provider_permanent",
    retryable: transient,
    providerCode,
    providerMessage,
    httpStatus: status,
    retryAfterMs: transient ? retryAfterOf(err) : undefined,
    cause: thrown,
  });
}

/** For our own refusals (not the cloud's), in the same shape the worker records. */
export function permanentError(providerCode: string, providerMessage: string): ProviderError {
  return new ProviderError({ code: "provider_permanent", retryable: false, providerCode, providerMessage });
}

/**
 * When `thrown` is IAM saying the account calls too fast: its Retry-After in ms (undefined when
 * it named none, as IAM usually does). `null` when it is anything else.
 */
export function awsThrottle(thrown: unknown): { retryAfterMs: number | undefined } | null {
  if (!isRecord(thrown)) return null;
  const metadata = isRecord(thrown.$metadata) ? thrown.$metadata : {};
  const code = str(thrown.Code) ?? str(thrown.name) ?? "";
  if (!THROTTLE_CODES.has(code) && metadata.httpStatusCode !== 429) return null;
  return { retryAfterMs: retryAfterOf(thrown) };
}
