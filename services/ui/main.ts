import { ConfigError } from "../../lib/config/env.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { loadUiAssets } from "../../lib/ui-server/assets.ts";
import { createUiHandler } from "../../lib/ui-server/ui-app.ts";
// The dashboard. `bun build --compile` bundles and embeds it; from source it is built at start.
import dashboard from "../../ui/index.html";
import { loadUiConfig, type UiConfig } from "./config.ts";

async function main() {
  let config: UiConfig;
  try {
    config = loadUiConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`csecbridge-ui: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: "csecbridge-ui", level: config.LOG_LEVEL });
  const assets = await loadUiAssets(dashboard);
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    fetch: createUiHandler({ assets, apiUrl: config.API_URL, log }),
  });
  log.info(
    {
      port: server.port,
      host: config.HOST,
      api_url: config.API_URL,
      url: `http://127.0.0.1:${server.port}/`,
    },
    "csecbridge-ui listening",
  );
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    await server.stop(false);
    log.flush();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error("csecbridge-ui: fatal:", err);
  process.exit(1);
});
