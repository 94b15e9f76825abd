import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { auth, createTestApi, samples, type TestApi, writtenState } from "../helpers/api.ts";

// Property: whatever JSON arrives, the API answers 2xx or 4xx — never a 5xx.
describe("fuzz: arbitrary JSON bodies never produce a 5xx", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  test("a value whose conversion to a primitive throws (found by the schema's property test) is a 400, not a 500", async () => {
    // {"length": {"toString": []}}: zod compares any value's `length` with its bounds, and this
    // one cannot be compared. Every body endpoint reads JSON the same way.
    const hostile = {
      ...samples.awsManaged(),
      permission: { type: "managed_policy", policy_arn: { length: { toString: [] } } },
    };
    const before = await writtenState(api);
    const res = await api.post(hostile);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { code: string }).code).toBe("malformed_json");
    expect(await writtenState(api)).toEqual(before);
    const search = await api.app.request("/api/v1/search", {
      method: "POST",
      headers: { "content-type": "application/json", ...auth() },
      body: JSON.stringify({ q: { length: { valueOf: 1 } } }),
    });
    expect(search.status).toBe(400);
  });

  test("arbitrary JSON values", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const res = await api.post(value);
        await res.arrayBuffer();
        return res.status < 500;
      }),
      { numRuns: 300 },
    );
  });

  test("valid payloads with one field replaced by arbitrary JSON", async () => {
    const base = { aws: samples.awsManaged(), azure: samples.azureReader() };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("aws" as const, "azure" as const),
        fc.string({ maxLength: 20 }),
        fc.jsonValue({ maxDepth: 4 }),
        async (which, key, value) => {
          const body: Record<string, unknown> = { ...base[which] };
          const keys = Object.keys(body);
          const target = keys.includes(key) ? key : (keys[key.length % keys.length] ?? "provider");
          body[target] = value;
          const res = await api.post(body);
          await res.arrayBuffer();
          return res.status < 500;
        },
      ),
      { numRuns: 300 },
    );
  });

  test("arbitrary strings as the raw body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), async (text) => {
        const res = await api.post(text);
        await res.arrayBuffer();
        return res.status >= 400 && res.status < 500;
      }),
      { numRuns: 200 },
    );
  });
});
