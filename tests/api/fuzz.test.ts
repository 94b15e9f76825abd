import { afterAll, beforeAll, describe, test } from "bun:test";
import fc from "fast-check";
import { createTestApi, samples, type TestApi } from "../helpers/api.ts";

// Property: whatever JSON arrives, the API answers 2xx or 4xx — never a 5xx.
describe("fuzz: arbitrary JSON bodies never produce a 5xx", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
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
