import { describe, expect, test } from "bun:test";
import { ASSIGNMENT_NAME_NAMESPACE, assignmentNameFor, uuidV5 } from "./assignment-name.ts";

describe("uuidV5", () => {
  test("matches RFC 9562 / Python uuid.uuid5 vectors", () => {
    const DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
    const URL_NS = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
    expect(uuidV5("www.example.com", DNS)).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
    expect(uuidV5("python.org", DNS)).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
    expect(uuidV5("http://python.org/", URL_NS)).toBe("4c565f0d-3f5a-5890-b41b-20cf47701c5e");
  });

  test("refuses a namespace that is not a UUID", () => {
    expect(() => uuidV5("x", "not-a-uuid")).toThrow();
  });
});

describe("assignmentNameFor", () => {
  test("is deterministic, case-insensitive in the correlation id, and a version-5 GUID", () => {
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const name = assignmentNameFor(id);
    expect(assignmentNameFor(id.toUpperCase())).toBe(name);
    expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(assignmentNameFor(crypto.randomUUID())).not.toBe(name);
  });

  test("the namespace never changes (live grants' revokes depend on it)", () => {
    expect(ASSIGNMENT_NAME_NAMESPACE).toBe("d2e0be23-c3c4-486e-99b0-3e13afc2370f");
    // Pinned value, computed independently with Python's uuid.uuid5.
    expect(assignmentNameFor("0f8fad5b-d9cb-469f-a165-70867728950e")).toBe(
      "8fc35a6d-d711-52d5-994b-d30a894249df",
    );
  });
});
