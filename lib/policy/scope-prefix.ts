import { normalizeScope } from "../schemas/request.ts";

const segments = (path: string) => normalizeScope(path).split("/").filter(Boolean);

/**
 * Is `scope` the ARM path `prefix` or below it? Compared on whole segments, case-insensitively
 * (ARM paths are), so ".../resourceGroups/rg-dev" covers ".../rg-dev/providers/..." but not
 * ".../rg-dev2". A scope with a "." or ".." segment is never within anything: the HTTP layer would
 * resolve it to some other path than the one checked here. The prefix "/" covers every scope.
 */
export function scopeWithin(scope: string, prefix: string): boolean {
  const s = segments(scope);
  const p = segments(prefix);
  if (s.some((seg) => seg === "." || seg === "..") || p.some((seg) => seg === "." || seg === ".."))
    return false;
  return p.length <= s.length && p.every((seg, i) => seg === s[i]);
}
