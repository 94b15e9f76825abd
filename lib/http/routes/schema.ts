import { Hono } from "hono";
import { requestJsonSchema } from "../../schemas/json-schema.ts";
import type { AppDeps, AppEnv } from "../app.ts";

/** Authenticated by app.ts like all of /api/v1. */
export function schemaRoutes(_deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/schema", (c) => c.json(requestJsonSchema(), 200, { "content-type": "application/schema+json" }));
  return app;
}
