import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { startOpsServerOrWarn } from "../../lib/metrics/ops-server.ts";
import { createRegistry } from "../../lib/metrics/registry.ts";
import { loadUiAssets } from "../../lib/ui-server/assets.ts";
import { createUiHandler } from "../../lib/ui-server/ui-app.ts";
import { VERSION } from "../../lib/version.ts";
// The dashboard. `bun build --compile` bundles and embeds it; from source it is built at start.
import dashboard from "../../ui/index.html";
import { loadUiConfig, type UiConfig, uiEnv } from "./config.ts";

const SERVICE = "csecbridge-ui";

async function main() {
  const program = {
    name: SERVICE,
    summary:
      "the operations dashboard: serves the built ui/ with security headers and passes /api to the API",
    usage: [SERVICE],
    env: uiEnv,
  };
  if (answerStandardFlags(process.argv, program)) process.exit(0);
  let config: UiConfig;
  try {
    config = loadUiConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${SERVICE}: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL, version: VERSION });
  const assets = await loadUiAssets(dashboard);
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    fetch: createUiHandler({ assets, apiUrl: config.API_URL, log }),
  });
  // Process metrics on their own port, as for the workers: the dashboard's port is the public one.
  const ops = startOpsServerOrWarn(
    { hostname: config.METRICS_HOST, port: config.METRICS_PORT, registry: createRegistry(SERVICE, VERSION) },
    log,
  );
  log.info(
    {
      port: server.port,
      host: config.HOST,
      api_url: config.API_URL,
      url: `http://127.0.0.1:${server.port}/`,
      metrics_port: ops?.port ?? null,
    },
    "csecbridge-ui listening",
  );
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    await Promise.allSettled([server.stop(false), ops?.stop()]);
    log.flush();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  console.error(`${SERVICE}: fatal:`, err);
  process.exit(1);
});
