import { Hono } from "hono";
import { requestJsonSchema } from "../../schemas/json-schema.ts";
import type { AppDeps, AppEnv } from "../app.ts";
import { authenticate } from "../middleware/authenticate.ts";

export function schemaRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use("/schema", authenticate(deps.clients));
  app.get("/schema", (c) => c.json(requestJsonSchema(), 200, { "content-type": "application/schema+json" }));
  return app;
}
