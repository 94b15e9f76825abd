import { describe, expect, test } from "bun:test";
import { boundedLabel } from "./bounded-label.ts";

describe("boundedLabel", () => {
  test("keeps the first distinct values, then says other; cleans what it keeps", () => {
    const label = boundedLabel(2);
    expect(label("NoSuchEntity")).toBe("NoSuchEntity");
    expect(label("Throttling")).toBe("Throttling");
    expect(label("NoSuchEntity")).toBe("NoSuchEntity");
    expect(label("Brand New")).toBe("other");
    expect(boundedLabel(5)('a"b{c}\n')).toBe("abc");
    expect(boundedLabel(5)("")).toBe("unknown");
    expect(boundedLabel(5)("x".repeat(100))).toHaveLength(64);
  });
});
