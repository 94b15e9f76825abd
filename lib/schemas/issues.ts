import type { z } from "zod";
import type { FieldIssue } from "../errors/http-errors.ts";

type ZodIssue = z.core.$ZodIssue;

/**
 * JSON Pointer (RFC 6901) of a path. The body itself is reported as "/" rather than "" so every
 * pointer a client sees starts with a slash (the contract the API and its tests rely on).
 */
export function toPointer(path: readonly PropertyKey[]): string {
  return `/${path.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}

/**
 * Zod issues → one FieldIssue per failing location, so a client can fix everything in one go:
 * - an unknown key is reported at its own pointer (zod reports the enclosing object);
 * - a union whose input fits exactly one branch (all of that branch's issues lie below the union's
 *   own path: the value had the right shape) reports that branch's issues instead of a bare
 *   "Invalid input"; otherwise the union's own message stands.
 * Sub-issues of unions and record keys carry paths relative to their parent, hence `base`.
 */
export function fieldIssues(issues: readonly ZodIssue[], base: readonly PropertyKey[] = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys)
          out.push({ pointer: toPointer([...path, key]), detail: "unknown field" });
        break;
      case "invalid_union": {
        const fitting = issue.errors.filter((branch) => branch.every((b) => b.path.length > 0));
        const [only] = fitting;
        if (fitting.length === 1 && only !== undefined) out.push(...fieldIssues(only, path));
        else out.push({ pointer: toPointer(path), detail: issue.message });
        break;
      }
      case "invalid_key": {
        const why = issue.issues.map((i) => i.message).join("; ");
        out.push({ pointer: toPointer(path), detail: `invalid key: ${why}` });
        break;
      }
      default:
        out.push({ pointer: toPointer(path), detail: issue.message });
    }
  }
  return out;
}
