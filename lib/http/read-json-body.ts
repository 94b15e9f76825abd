import {
  MalformedJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "../errors/http-errors.ts";

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Reads a JSON request body within `limit` bytes: 415 for another content type, 413 past the
 * limit (announced or streamed, so a lying Content-Length cannot get past it), 400 when the
 * bytes are not one JSON value.
 */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!JSON_TYPE.test(type.trim())) {
    throw new UnsupportedMediaTypeError("content-type must be application/json");
  }
  const length = req.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > limit) throw new PayloadTooLargeError(`body is larger than ${limit} bytes`);
  // With a Content-Length (and no chunked framing) HTTP/1.1 delivers exactly that many bytes, at
  // most `limit` here: read them in one native call, without a callback per chunk. Otherwise
  // stream, counting. Either way the size is checked on what arrived.
  const bytes =
    length !== null && !req.headers.has("transfer-encoding")
      ? new Uint8Array(await req.arrayBuffer())
      : await readLimited(req, limit);
  if (bytes.length > limit) throw new PayloadTooLargeError(`body is larger than ${limit} bytes`);
  if (bytes.length === 0) throw new MalformedJsonError("body is empty; expected a JSON object");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new MalformedJsonError("body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : "unparseable";
    throw new MalformedJsonError(`body is not valid JSON: ${reason.slice(0, 200)}`);
  }
  const shadow = shadowingKey(value);
  if (shadow !== undefined) {
    throw new MalformedJsonError(`body has a key named "${shadow}", which no field of this API has`);
  }
  return value;
}

/** Keys that, as own properties of parsed JSON, replace a value's conversion to a primitive. */
const SHADOWING = new Set(["toString", "valueOf", "toJSON"]);

/**
 * The first key of `value`, at any depth, that shadows a conversion method. JSON can carry
 * {"length": {"toString": []}}, and a validator that compares such a `length` with a number (zod's
 * size checks run on any value with a `length`) throws instead of refusing it: a 500 for bad input.
 * No field of our API is named so; such a body is refused before any schema sees it.
 */
function shadowingKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== "object") continue;
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (SHADOWING.has(k)) return k;
      stack.push(child);
    }
  }
  return undefined;
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(`body is larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
