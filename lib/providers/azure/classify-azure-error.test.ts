import { describe, expect, test } from "bun:test";
import { RestError } from "@azure/core-rest-pipeline";
import { ProviderError } from "../types.ts";
import { classifyAzureError, scrubSecrets } from "./classify-azure-error.ts";

// Shapes the SDKs throw, reproduced by hand for the cases the simulator cannot easily provoke.
// The common ones (400, 429, 500, wrong secret, timeout, unreachable) are exercised for real in
// azure-provider.test.ts.

const rest = (statusCode: number | undefined, code: string | undefined, message = "m") =>
  new RestError(message, { statusCode, code });

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error("boom"), { name }, extra);

const CASES: Array<[Error, boolean, string]> = [
  [rest(429, "TooManyRequests"), true, "TooManyRequests"],
  [rest(500, "InternalServerError"), true, "InternalServerError"],
  [rest(503, "ServiceUnavailable"), true, "ServiceUnavailable"],
  [rest(408, "RequestTimeout"), true, "RequestTimeout"],
  [rest(undefined, "REQUEST_SEND_ERROR"), true, "REQUEST_SEND_ERROR"],
  [rest(undefined, undefined), true, "REQUEST_SEND_ERROR"],
  [rest(200, "PARSE_ERROR"), true, "PARSE_ERROR"],
  [rest(409, "AnotherOperationInProgress"), true, "AnotherOperationInProgress"],
  [rest(409, "ScopeLocked"), false, "ScopeLocked"],
  [rest(400, "PrincipalNotFound"), false, "PrincipalNotFound"],
  [rest(403, "AuthorizationFailed"), false, "AuthorizationFailed"],
  [rest(404, "RoleDefinitionDoesNotExist"), false, "RoleDefinitionDoesNotExist"],
  [rest(400, "InvalidRoleAssignmentId"), false, "InvalidRoleAssignmentId"],
  [rest(400, "RoleAssignmentUpdateNotPermitted"), false, "RoleAssignmentUpdateNotPermitted"],
  [rest(400, "MissingSubscription"), false, "MissingSubscription"],
  [rest(401, "InvalidAuthenticationTokenAudience"), false, "InvalidAuthenticationTokenAudience"],
  [rest(404, undefined), false, "HTTP404"],
  [named("AbortError"), true, "Timeout"],
  [named("CredentialUnavailableError"), true, "CredentialUnavailable"],
  [
    named("AuthenticationRequiredError", { cause: { errorCode: "invalid_client", status: 401 } }),
    false,
    "invalid_client",
  ],
  [
    named("AuthenticationRequiredError", { cause: { errorCode: "unauthorized_client", status: 400 } }),
    false,
    "unauthorized_client",
  ],
  [
    named("AuthenticationRequiredError", { cause: { errorCode: "server_error", status: 503 } }),
    true,
    "server_error",
  ],
  [
    named("AuthenticationError", { statusCode: 429, errorResponse: { error: "throttled" } }),
    true,
    "throttled",
  ],
  [
    named("AuthenticationError", { statusCode: 400, errorResponse: { error: "invalid_request" } }),
    false,
    "invalid_request",
  ],
  [Object.assign(new Error("connect"), { code: "ECONNREFUSED" }), true, "ECONNREFUSED"],
  [new TypeError("surprise"), true, "TypeError"],
];

describe("classifyAzureError", () => {
  test.each(
    CASES.map(
      ([err, retryable, code]) =>
        [`${err.name} ${code} → ${retryable ? "transient" : "permanent"}`, err, retryable, code] as const,
    ),
  )("%s", (_label, err, retryable, providerCode) => {
    const out = classifyAzureError(err);
    expect(out).toBeInstanceOf(ProviderError);
    expect(out.retryable).toBe(retryable);
    expect(out.code).toBe(retryable ? "provider_transient" : "provider_permanent");
    expect(out.providerCode).toBe(providerCode);
    expect(out.cause).toBe(err);
  });

  test("keeps the status and Azure's message", () => {
    const out = classifyAzureError(rest(400, "PrincipalNotFound", "Principal abc does not exist"));
    expect(out).toMatchObject({ httpStatus: 400, providerMessage: "Principal abc does not exist" });
    expect(out.message).toBe("PrincipalNotFound: Principal abc does not exist");
  });

  test("a ProviderError passes through unchanged", () => {
    const pe = classifyAzureError(rest(429, "TooManyRequests"));
    expect(classifyAzureError(pe)).toBe(pe);
  });

  test("bearer tokens and client secrets never survive into messages", () => {
    const out = classifyAzureError(
      rest(400, "Bad", "sent Authorization: Bearer eyJ0eXAi.abc-def_ghi and client_secret=hunter2&x=1"),
    );
    expect(out.providerMessage).not.toContain("eyJ0eXAi");
    expect(out.providerMessage).not.toContain("hunter2");
    expect(out.message).not.toContain("hunter2");
    expect(scrubSecrets("x".repeat(5000))).toHaveLength(1000);
  });
});
