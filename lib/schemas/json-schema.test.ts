import { describe, expect, test } from "bun:test";
import { parseIsoDuration } from "../config/env.ts";
import { awsManaged, azureByName, OPTS, SUB } from "./fixtures.ts";
import { REQUEST_SCHEMA_ID, requestJsonSchema } from "./json-schema.ts";
import { parseRequestPayload } from "./request.ts";

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

function child(node: unknown, ...keys: (string | number)[]): Node {
  let at: unknown = node;
  for (const k of keys) at = Array.isArray(at) ? at[k as number] : isNode(at) ? at[k] : undefined;
  if (!isNode(at)) throw new Error(`no object at ${keys.join("/")}`);
  return at;
}

/** Every sub-schema, depth first. */
function* walk(v: unknown): Generator<Node> {
  if (Array.isArray(v)) for (const x of v) yield* walk(x);
  else if (isNode(v)) {
    yield v;
    for (const x of Object.values(v)) yield* walk(x);
  }
}

const schema = requestJsonSchema();
const branches = schema.oneOf as unknown[];
const branchOf = (provider: string) => {
  const b = branches.find((x) => child(x, "properties", "provider").const === provider);
  if (!b) throw new Error(`no branch for ${provider}`);
  return b;
};

describe("requestJsonSchema", () => {
  test("is plain JSON: it survives a round trip unchanged", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  test("declares draft 2020-12, an $id and a title", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(REQUEST_SCHEMA_ID);
    expect(typeof schema.title).toBe("string");
  });

  test("is one of exactly two branches, one per provider, each requiring its fields", () => {
    expect(branches).toHaveLength(2);
    expect(child(branchOf("aws")).required).toEqual(
      expect.arrayContaining(["provider", "principal", "permission", "action"]),
    );
    expect(child(branchOf("azure")).required).toEqual(
      expect.arrayContaining(["provider", "principal", "role", "scope", "action"]),
    );
  });

  test("nested choices are expressed with oneOf/anyOf", () => {
    expect(child(branchOf("aws"), "properties", "permission").oneOf).toHaveLength(3);
    expect(child(branchOf("aws"), "properties", "principal").oneOf).toHaveLength(3);
    expect(child(branchOf("azure"), "properties", "role").anyOf).toHaveLength(2);
  });

  test("closes every object: additionalProperties false, top level and nested", () => {
    for (const p of ["aws", "azure"]) expect(child(branchOf(p)).additionalProperties).toBe(false);
    expect(child(branchOf("azure"), "properties", "principal").additionalProperties).toBe(false);
    const objects = [...walk(schema)].filter((n) => n.type === "object" && isNode(n.properties));
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) expect(o.additionalProperties).toBe(false);
  });

  test("every pattern is a valid ECMA-262 regex under the u flag, as 2020-12 asks", () => {
    const patterns = [...walk(schema)]
      .map((n) => n.pattern)
      .filter((p): p is string => typeof p === "string");
    expect(patterns.length).toBeGreaterThan(5);
    for (const p of patterns) expect(() => new RegExp(p, "u")).not.toThrow();
  });

  test("patterns accept what zod accepts: ARM words in any case (no lost /i flag)", () => {
    const scopePattern = new RegExp(child(branchOf("azure"), "properties", "scope").pattern as string, "u");
    for (const scope of [
      `/subscriptions/${SUB}/resourcegroups/rg-dev`,
      `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/rg-dev/PROVIDERS/Microsoft.Storage/storageAccounts/a`,
      "/providers/microsoft.management/managementgroups/mg1",
    ]) {
      expect(parseRequestPayload({ ...azureByName, scope }, OPTS).ok).toBe(true);
      expect(scopePattern.test(scope)).toBe(true);
    }
    expect(scopePattern.test(`/subscriptions/${SUB}/resourceGroups/..`)).toBe(false);
  });

  test("the duration pattern agrees with the duration parser", () => {
    const durationPattern = new RegExp(
      child(branchOf("aws"), "properties", "duration").pattern as string,
      "u",
    );
    for (const d of ["PT2H", "P1D", "P1W", "PT0.5S", "P1DT2H3M4S", "P1M", "PT", "P", "2h", "P1DT"]) {
      expect(durationPattern.test(d)).toBe(parseIsoDuration(d) !== undefined);
    }
    expect(parseRequestPayload({ ...awsManaged, duration: "PT2H" }, OPTS).ok).toBe(true);
  });

  test("is generated once and cannot be changed by a caller", () => {
    expect(requestJsonSchema()).toBe(schema);
    expect(Object.isFrozen(schema)).toBe(true);
    expect(Object.isFrozen(branchOf("aws"))).toBe(true);
  });
});
