import { IamError } from "./iam-error.ts";

/**
 * Identity policies (inline and managed) may not name a Principal and must name resources;
 * trust policies (a role's AssumeRolePolicyDocument) must name a Principal and no resources.
 */
export type PolicyKind = "identity" | "trust";

const TOP_LEVEL = new Set(["Version", "Id", "Statement"]);
const STATEMENT_KEYS = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);

const malformed = (message: string) => new IamError("MalformedPolicyDocument", message);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks the grammar IAM enforces on every write; returns the parsed document. */
export function validatePolicyDocument(text: string, kind: PolicyKind): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("Syntax errors in policy.");
  }
  if (!isRecord(doc)) throw malformed("Syntax errors in policy.");
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL.has(key)) throw malformed(`Syntax errors in policy. Unknown field ${key}`);
  }
  if (doc.Version !== undefined && doc.Version !== "2012-10-17" && doc.Version !== "2008-10-17") {
    throw malformed("The policy failed legacy parsing");
  }
  const statements = doc.Statement;
  if (statements === undefined) throw malformed("Missing required field Statement");
  const list = Array.isArray(statements) ? statements : [statements];
  if (list.length === 0) throw malformed("Missing required field Statement");
  for (const statement of list) validateStatement(statement, kind);
  return doc;
}

function validateStatement(statement: unknown, kind: PolicyKind): void {
  if (!isRecord(statement)) throw malformed("Syntax errors in policy.");
  for (const key of Object.keys(statement)) {
    if (!STATEMENT_KEYS.has(key)) throw malformed(`Syntax errors in policy. Unknown field ${key}`);
  }
  const effect = statement.Effect;
  if (effect === undefined) throw malformed("Missing required field Effect");
  if (effect !== "Allow" && effect !== "Deny") throw malformed(`Invalid effect: ${String(effect)}`);
  if (statement.Action === undefined && statement.NotAction === undefined) {
    throw malformed("Policy statement must contain actions.");
  }
  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  const hasResource = statement.Resource !== undefined || statement.NotResource !== undefined;
  if (kind === "identity") {
    if (hasPrincipal) throw malformed("Policy document should not specify a principal.");
    if (!hasResource) throw malformed("Policy statement must contain resources.");
  } else {
    if (!hasPrincipal) throw malformed("Missing required field Principal");
    if (hasResource) throw malformed("Has prohibited field Resource");
  }
}

/** IAM sizes policies in characters, not counting whitespace. */
export function policySize(text: string): number {
  return text.replace(/\s/g, "").length;
}
