import type { MiddlewareHandler } from "hono";
import { type ApiClient, authenticateToken, bearerToken } from "../../auth/api-tokens.ts";
import { type Caller, callerFor } from "../../auth/authorize.ts";
import { UnauthorizedError } from "../../errors/http-errors.ts";
import type { Policy } from "../../policy/schema.ts";

/**
 * Requires `Authorization: Bearer <token>` of a configured client and records who called: the
 * client's name (`client`, logged and stored on requests) and its role (`caller`, for every
 * authorization check). Runs before anything reads the request body.
 */
export function authenticate(
  clients: readonly ApiClient[],
  policy: Policy | null,
): MiddlewareHandler<{ Variables: { client: string; caller: Caller } }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    const client = token === undefined ? undefined : authenticateToken(clients, token);
    if (!client) throw new UnauthorizedError("a valid bearer token is required");
    c.set("client", client.name);
    c.set("caller", callerFor(policy, client.name));
    await next();
  };
}
