import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { VERSION } from "../../lib/version.ts";
import { createSink } from "../../lib/webhooks/sink.ts";
import { loadSinkConfig, type SinkConfig, sinkEnv } from "./config.ts";

// A development receiver for webhooks (docs/webhooks.md): verifies and shows what it received.
const SERVICE = "csecbridge-webhook-sink";

function main(): void {
  const program = {
    name: SERVICE,
    summary:
      "a development receiver for webhooks: verifies each signature (standardwebhooks) and shows what arrived",
    usage: [SERVICE],
    env: sinkEnv,
  };
  if (answerStandardFlags(process.argv, program)) process.exit(0);
  let config: SinkConfig;
  try {
    config = loadSinkConfig(process.env);
  } catch (err) {
    console.error(`${SERVICE}: ${err instanceof ConfigError ? err.message : String(err)}`);
    process.exit(2);
  }
  const log = createLogger({ service: SERVICE, level: config.LOG_LEVEL, version: VERSION });
  const sink = createSink(config.WEBHOOK_SINK_SECRETS);
  const server = Bun.serve({
    hostname: config.WEBHOOK_SINK_HOST,
    port: config.WEBHOOK_SINK_PORT,
    async fetch(req) {
      const res = await sink.fetch(req);
      if (req.method === "POST") {
        const r = sink.received[0];
        log.info(
          { type: r?.type, correlation_id: r?.correlation_id, verified: r?.verified },
          "webhook received",
        );
      }
      return res;
    },
  });
  log.info({ url: `http://${config.WEBHOOK_SINK_HOST}:${server.port}/` }, "webhook sink listening");
  const stop = () => {
    server.stop(true);
    log.flush();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main();
