/** ARM's wire conventions for answers: JSON bodies, request-id headers, `{"error":{code,message}}` errors. */

function armHeaders(extra: Record<string, string> = {}): Headers {
  const requestId = crypto.randomUUID();
  return new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-cache",
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": requestId,
    ...extra,
  });
}

export function armJson(status: number, body: unknown, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: armHeaders(headers) });
}

/** The error envelope ARM uses everywhere; the SDK turns it into a RestError with `code`. */
export function armError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Response {
  return armJson(status, { error: { code, message } }, headers);
}

export function armNoContent(): Response {
  const headers = armHeaders();
  headers.delete("content-type");
  return new Response(null, { status: 204, headers });
}
