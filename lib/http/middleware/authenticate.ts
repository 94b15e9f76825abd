import type { MiddlewareHandler } from "hono";
import { type ApiClient, authenticateToken, bearerToken } from "../../auth/api-tokens.ts";
import { UnauthorizedError } from "../../errors/http-errors.ts";

/** Requires `Authorization: Bearer <token>` of a configured client and records the client's name. */
export function authenticate(
  clients: readonly ApiClient[],
): MiddlewareHandler<{ Variables: { client: string } }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    const client = token === undefined ? undefined : authenticateToken(clients, token);
    if (!client) throw new UnauthorizedError("a valid bearer token is required");
    c.set("client", client.name);
    await next();
  };
}
