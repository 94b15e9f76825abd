/** Minimal XML writer for IAM Query API responses: elements in order, text escaped, nothing else. */
export type XmlValue = string | number | boolean | Date | undefined | readonly XmlField[];
export type XmlField = readonly [name: string, value: XmlValue];

export const IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

/** Element text only (the writer emits no attributes but the fixed xmlns), so quotes stay as they are. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c] ?? c);
}

/** IAM's timestamp format: ISO 8601 in UTC without milliseconds. */
export function iamTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function renderValue(value: Exclude<XmlValue, undefined>): string {
  if (value instanceof Date) return escapeXml(iamTimestamp(value));
  if (typeof value === "string") return escapeXml(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return renderFields(value);
}

/** Fields whose value is undefined are left out, as IAM omits absent optional members. */
export function renderFields(fields: readonly XmlField[]): string {
  let out = "";
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    // Empty lists are self-closing elements, the way IAM writes them (`<AttachedPolicies/>`).
    if (Array.isArray(value) && value.length === 0) out += `<${name}/>`;
    else out += `<${name}>${renderValue(value)}</${name}>`;
  }
  return out;
}

/** A Query API list: each item wrapped in `<member>`. */
export function memberList(items: readonly (readonly XmlField[])[]): XmlField[] {
  return items.map((fields) => ["member", fields] as const);
}

export function memberStrings(items: readonly string[]): XmlField[] {
  return items.map((s) => ["member", s] as const);
}

/** `<XxxResponse><XxxResult>…</XxxResult><ResponseMetadata>…` — actions without output have no Result. */
export function successDocument(
  action: string,
  result: readonly XmlField[] | null,
  requestId: string,
): string {
  const body = result === null ? "" : `<${action}Result>${renderFields(result)}</${action}Result>`;
  return (
    `<${action}Response xmlns="${IAM_XMLNS}">${body}` +
    `<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${action}Response>`
  );
}

export function errorDocument(type: string, code: string, message: string, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${IAM_XMLNS}"><Error><Type>${escapeXml(type)}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}
