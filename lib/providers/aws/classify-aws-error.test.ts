import { describe, expect, test } from "bun:test";
import { ProviderError } from "../types.ts";
import { classifyAwsError, scrubSecrets } from "./classify-aws-error.ts";

/** The shape of an SDK service exception after the query protocol has decorated it. */
function serviceError(
  name: string,
  code: string,
  status: number,
  extra: Record<string, unknown> = {},
): Error {
  return Object.assign(new Error(`${code} happened`), {
    name,
    Code: code,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status, attempts: 1 },
    ...extra,
  });
}

describe("classifyAwsError", () => {
  const transient: [string, Error][] = [
    ["Throttling 400", serviceError("Throttling", "Throttling", 400)],
    ["ThrottlingException", serviceError("ThrottlingException", "ThrottlingException", 400)],
    ["RequestLimitExceeded", serviceError("RequestLimitExceeded", "RequestLimitExceeded", 503)],
    ["ServiceFailure 500", serviceError("ServiceFailureException", "ServiceFailure", 500)],
    ["ServiceUnavailable 503", serviceError("ServiceUnavailable", "ServiceUnavailable", 503)],
    [
      "ConcurrentModification",
      serviceError("ConcurrentModificationException", "ConcurrentModification", 409),
    ],
    ["an unknown 502 with an HTML body", serviceError("Unknown", "", 502)],
    ["a 429", serviceError("TooBusy", "TooBusy", 429)],
    ["ECONNREFUSED", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })],
    [
      "ECONNRESET in cause",
      new Error("socket hang up", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) }),
    ],
    ["TimeoutError", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
    ["AbortError", Object.assign(new Error("aborted"), { name: "AbortError" })],
    [
      "a retryable-trait error",
      Object.assign(new Error("x"), { name: "Odd", $retryable: { throttling: false } }),
    ],
  ];
  for (const [what, err] of transient) {
    test(`${what} is transient and retryable`, () => {
      const out = classifyAwsError(err);
      expect(out).toBeInstanceOf(ProviderError);
      expect(out.code).toBe("provider_transient");
      expect(out.retryable).toBe(true);
      expect(out.cause).toBe(err);
    });
  }

  const permanent: [string, Error, string][] = [
    ["NoSuchEntity", serviceError("NoSuchEntityException", "NoSuchEntity", 404), "NoSuchEntity"],
    [
      "MalformedPolicyDocument",
      serviceError("MalformedPolicyDocumentException", "MalformedPolicyDocument", 400),
      "MalformedPolicyDocument",
    ],
    ["AccessDenied", serviceError("AccessDenied", "AccessDenied", 403), "AccessDenied"],
    ["InvalidInput", serviceError("InvalidInputException", "InvalidInput", 400), "InvalidInput"],
    ["ValidationError", serviceError("ValidationError", "ValidationError", 400), "ValidationError"],
    [
      "LimitExceeded (which the SDK calls throttling)",
      serviceError("LimitExceededException", "LimitExceeded", 409),
      "LimitExceeded",
    ],
    [
      "EntityAlreadyExists",
      serviceError("EntityAlreadyExistsException", "EntityAlreadyExists", 409),
      "EntityAlreadyExists",
    ],
    [
      "UnmodifiableEntity",
      serviceError("UnmodifiableEntityException", "UnmodifiableEntity", 400),
      "UnmodifiableEntity",
    ],
    [
      "InvalidClientTokenId",
      serviceError("InvalidClientTokenId", "InvalidClientTokenId", 403),
      "InvalidClientTokenId",
    ],
    ["an unknown 4xx", serviceError("Weird", "Weird", 400), "Weird"],
    ["a programming error", new TypeError("x is not a function"), "TypeError"],
  ];
  for (const [what, err, code] of permanent) {
    test(`${what} is permanent with providerCode ${code}`, () => {
      const out = classifyAwsError(err);
      expect(out.code).toBe("provider_permanent");
      expect(out.retryable).toBe(false);
      expect(out.providerCode).toBe(code);
    });
  }

  test("IAM's Code wins over the exception name; status and message are kept", () => {
    const out = classifyAwsError(serviceError("NoSuchEntityException", "NoSuchEntity", 404));
    expect(out).toMatchObject({
      providerCode: "NoSuchEntity",
      providerMessage: "NoSuchEntity happened",
      httpStatus: 404,
    });
    expect(out.message).toBe("NoSuchEntity: NoSuchEntity happened");
  });

  test("a ProviderError passes through unchanged", () => {
    const original = classifyAwsError(serviceError("Throttling", "Throttling", 400));
    expect(classifyAwsError(original)).toBe(original);
  });

  test("non-Error throws are classified too", () => {
    expect(classifyAwsError("boom")).toMatchObject({
      providerCode: "Error",
      providerMessage: "boom",
      retryable: false,
    });
  });
});

describe("scrubSecrets", () => {
  test("removes key ids, signatures and tokens, and bounds the length", () => {
    const text =
      "Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/iam/aws4_request, Signature=abc123 " +
      "X-Amz-Security-Token=FQoGZXIvYXdzE secretAccessKey: wJalrXUtnFEMI plain ASIAABCDEFGHIJKLMNOP";
    const out = scrubSecrets(text);
    expect(out).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(out).not.toContain("ASIAABCDEFGHIJKLMNOP");
    expect(out).not.toContain("abc123");
    expect(out).not.toContain("FQoGZXIvYXdzE");
    expect(out).not.toContain("wJalrXUtnFEMI");
    expect(out).toContain("plain");
    expect(scrubSecrets("x".repeat(5000)).length).toBe(1001);
  });
});
