import { ConfigError } from "../../lib/config/env.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { createSink } from "../../lib/webhooks/sink.ts";
import { loadSinkConfig, type SinkConfig } from "./config.ts";

// A development receiver for webhooks (docs/webhooks.md): verifies and shows what it received.
let config: SinkConfig;
try {
  config = loadSinkConfig(process.env);
} catch (err) {
  console.error(`csecbridge-webhook-sink: ${err instanceof ConfigError ? err.message : String(err)}`);
  process.exit(2);
}
const log = createLogger({ service: "csecbridge-webhook-sink", level: config.LOG_LEVEL });
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
