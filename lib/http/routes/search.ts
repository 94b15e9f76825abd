import { Hono } from "hono";
import { assertMay } from "../../auth/authorize.ts";
import { deterministicInterpreter } from "../../nlq/interpreter.ts";
import { searchRequests } from "../../requests/search-requests.ts";
import type { AppDeps, AppEnv } from "../app.ts";
import { readJsonBody } from "../read-json-body.ts";

/** POST /api/v1/search {q, tz?, limit?, cursor?}: plain English → the list's filters → a page. */
export function searchRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/search", async (c) => {
    const caller = c.get("caller");
    assertMay(caller, "search");
    const body = await readJsonBody(c.req.raw, deps.limits.bodyBytes);
    const result = await searchRequests(
      {
        sql: deps.sql,
        dbTimeoutMs: deps.limits.dbTimeoutMs,
        interpreter: deps.interpreter ?? deterministicInterpreter,
        now: deps.now,
      },
      caller,
      body,
    );
    return c.json(result, 200, { "cache-control": "no-store" });
  });
  return app;
}
