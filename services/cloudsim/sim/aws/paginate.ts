import { IamError } from "./iam-error.ts";

export interface Page<T> {
  items: T[];
  isTruncated: boolean;
  /** Present only when truncated, as in IAM. */
  marker: string | undefined;
}

/**
 * Marker/MaxItems pagination over items ordered by a key. The marker is an opaque encoding of the
 * last key returned, so items added or removed between pages never shift the next page.
 */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  marker: string | undefined,
  maxItems: number,
): Page<T> {
  const sorted = [...items].sort((a, b) => compare(keyOf(a), keyOf(b)));
  const after = marker === undefined ? undefined : decodeMarker(marker);
  const rest = after === undefined ? sorted : sorted.filter((item) => compare(keyOf(item), after) > 0);
  const page = rest.slice(0, maxItems);
  const isTruncated = rest.length > page.length;
  const last = page.at(-1);
  return {
    items: page,
    isTruncated,
    marker: isTruncated && last !== undefined ? encodeMarker(keyOf(last)) : undefined,
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function encodeMarker(key: string): string {
  return Buffer.from(`v1:${key}`, "utf8").toString("base64");
}

function decodeMarker(marker: string): string {
  const text = Buffer.from(marker, "base64").toString("utf8");
  if (!text.startsWith("v1:")) throw new IamError("InvalidInput", "Invalid Marker.");
  return text.slice(3);
}
