import { describe, expect, test } from "bun:test";
import { scopeWithin } from "./scope-prefix.ts";

const SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const RG = `/subscriptions/${SUB}/resourceGroups/rg-dev`;

describe("scopeWithin", () => {
  test("the prefix itself and everything below it", () => {
    expect(scopeWithin(RG, RG)).toBe(true);
    expect(scopeWithin(`${RG}/providers/Microsoft.Storage/storageAccounts/a`, RG)).toBe(true);
  });

  test("whole segments only: rg-dev does not cover rg-dev2", () => {
    expect(scopeWithin(`${RG}2`, RG)).toBe(false);
    expect(scopeWithin(`/subscriptions/${SUB}/resourceGroups/rg-de`, RG)).toBe(false);
  });

  test("not above the prefix, not beside it", () => {
    expect(scopeWithin(`/subscriptions/${SUB}`, RG)).toBe(false);
    expect(scopeWithin(`/subscriptions/${SUB}/resourceGroups/rg-prod`, RG)).toBe(false);
  });

  test("case-insensitive and indifferent to a trailing slash, on either side", () => {
    expect(scopeWithin(`/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/RG-DEV`, `${RG}/`)).toBe(true);
  });

  test('"/" covers every scope', () => {
    expect(scopeWithin(RG, "/")).toBe(true);
    expect(scopeWithin("/providers/Microsoft.Management/managementGroups/mg", "/")).toBe(true);
  });

  test("a scope with dot segments is within nothing", () => {
    expect(scopeWithin(`${RG}/providers/x/../../../../resourceGroups/rg-prod`, RG)).toBe(false);
    expect(scopeWithin(`${RG}/./x`, RG)).toBe(false);
    expect(scopeWithin(`${RG}/..`, "/")).toBe(false);
  });

  test("a prefix with dot segments covers nothing, not even itself (the schema refuses one anyway)", () => {
    expect(scopeWithin(`${RG}/x`, `${RG}/..`)).toBe(false);
    expect(scopeWithin(`${RG}/..`, `${RG}/..`)).toBe(false);
    expect(scopeWithin(`${RG}/./x`, `${RG}/.`)).toBe(false);
    expect(scopeWithin(`${RG}/.x/y`, `${RG}/.x`)).toBe(true);
    expect(scopeWithin(`${RG}/..x`, `${RG}/..x`)).toBe(true);
  });

  test("a longer prefix never covers a shorter scope, even one it starts with", () => {
    expect(scopeWithin(`/subscriptions/${SUB}`, `/subscriptions/${SUB}/`)).toBe(true);
    expect(scopeWithin("/", RG)).toBe(false);
    expect(scopeWithin("/", "/")).toBe(true);
  });
});
