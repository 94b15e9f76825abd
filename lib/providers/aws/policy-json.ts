/**
 * Decides whether two IAM policy documents say the same thing, ignoring what IAM itself ignores:
 * whitespace, key order, and a single value written as a string or as a one-element list. Anything
 * else (element order inside lists, a missing Version) counts as different, which errs on the side
 * of "not ours".
 */
export function samePolicyDocument(a: string, b: string): boolean {
  const na = canonical(a);
  const nb = canonical(b);
  return na !== undefined && na === nb;
}

function canonical(text: string): string | undefined {
  try {
    return JSON.stringify(normalizeDocument(JSON.parse(text)));
  } catch {
    return undefined;
  }
}

const LIST_ELEMENTS = new Set(["Action", "NotAction", "Resource", "NotResource"]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function normalizeDocument(doc: unknown): unknown {
  if (!isRecord(doc)) return sortKeys(doc);
  const out: Record<string, unknown> = { ...doc };
  if (doc.Statement !== undefined) out.Statement = asList(doc.Statement).map(normalizeStatement);
  return sortKeys(out);
}

function normalizeStatement(statement: unknown): unknown {
  if (!isRecord(statement)) return statement;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(statement)) {
    if (LIST_ELEMENTS.has(k)) out[k] = asList(v);
    else if (k === "Condition" && isRecord(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([op, entries]) => [
          op,
          isRecord(entries)
            ? Object.fromEntries(Object.entries(entries).map(([ck, cv]) => [ck, asList(cv)]))
            : entries,
        ]),
      );
    } else out[k] = v;
  }
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}
