/**
 * The small subset of OData `$filter` that the role-assignment and role-definition list
 * endpoints accept. Anything else is refused, as ARM refuses it, rather than silently ignored
 * (a filter ignored by a simulator hides a client bug that Azure would report).
 */
export type AssignmentFilter = { atScope: boolean; principalId: string | null };
export type DefinitionFilter = { roleName: string | null; type: "BuiltInRole" | "CustomRole" | null };

/** An OData string literal: single-quoted, with '' standing for one quote. */
const LITERAL = "'((?:[^']|'')*)'";
const unquote = (s: string) => s.replaceAll("''", "'");

function terms(filter: string): string[] {
  return filter
    .trim()
    .split(/\s+and\s+/i)
    .map((t) => t.trim())
    .filter((t) => t !== "");
}

export function parseAssignmentFilter(filter: string | null): AssignmentFilter | null {
  const out: AssignmentFilter = { atScope: false, principalId: null };
  if (filter === null || filter.trim() === "") return out;
  for (const term of terms(filter)) {
    const principal =
      new RegExp(`^principalId\\s+eq\\s+${LITERAL}$`, "i").exec(term) ??
      new RegExp(`^assignedTo\\(${LITERAL}\\)$`, "i").exec(term);
    if (/^atScope\(\)$/i.test(term)) out.atScope = true;
    else if (principal) out.principalId = unquote(principal[1] ?? "").toLowerCase();
    else return null;
  }
  return out;
}

export function parseDefinitionFilter(filter: string | null): DefinitionFilter | null {
  const out: DefinitionFilter = { roleName: null, type: null };
  if (filter === null || filter.trim() === "") return out;
  for (const term of terms(filter)) {
    const name = new RegExp(`^roleName\\s+eq\\s+${LITERAL}$`, "i").exec(term);
    const type = new RegExp(`^type\\s+eq\\s+${LITERAL}$`, "i").exec(term);
    if (name) out.roleName = unquote(name[1] ?? "");
    else if (type && /^(BuiltInRole|CustomRole)$/i.test(type[1] ?? "")) {
      out.type = (type[1] ?? "").toLowerCase() === "builtinrole" ? "BuiltInRole" : "CustomRole";
    } else return null;
  }
  return out;
}
