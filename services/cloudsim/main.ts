import { answerStandardFlags } from "../../lib/cli/standard-flags.ts";
import { ConfigError } from "../../lib/config/env.ts";
import { createLogger } from "../../lib/logging/logger.ts";
import { VERSION } from "../../lib/version.ts";
import { type CloudsimConfig, cloudsimEnv, loadCloudsimConfig } from "./config.ts";
import { startCloudsim } from "./sim/server.ts";

async function main(): Promise<void> {
  const program = {
    name: "csecbridge-cloudsim",
    summary:
      "a local stand-in for AWS IAM and Azure ARM + Entra, for development and tests: grants nothing real",
    usage: ["csecbridge-cloudsim"],
    env: cloudsimEnv,
  };
  if (answerStandardFlags(process.argv, program)) process.exit(0);
  let config: CloudsimConfig;
  try {
    config = loadCloudsimConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`csecbridge-cloudsim: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ service: "csecbridge-cloudsim", level: config.LOG_LEVEL, version: VERSION });
  const sim = await startCloudsim({
    host: config.CLOUDSIM_HOST,
    awsPort: config.CLOUDSIM_AWS_PORT,
    azurePort: config.CLOUDSIM_AZURE_PORT,
    caFile: config.CLOUDSIM_CA_FILE,
    tlsHostnames: config.CLOUDSIM_TLS_HOSTNAMES,
    tenantId: config.CLOUDSIM_TENANT_ID,
    clientId: config.CLOUDSIM_CLIENT_ID,
    clientSecret: config.CLOUDSIM_CLIENT_SECRET,
    azureBehaviour: { pageSize: config.CLOUDSIM_AZURE_PAGE_SIZE },
    logger: log,
  });
  const manners = {
    latencyMs: config.CLOUDSIM_LATENCY_MS,
    ratePerSecond: config.CLOUDSIM_RATE_PER_SECOND,
    burst: config.CLOUDSIM_RATE_BURST,
  };
  sim.aws.faults.set(manners);
  sim.azure.faults.set(manners);
  // Loud on purpose: a worker pointed here by mistake grants nothing anywhere real.
  log.warn(
    {
      awsUrl: sim.awsUrl,
      azureUrl: sim.azureUrl,
      authorityHost: sim.authorityHost,
      caFile: sim.caFile,
      tenantId: sim.tenantId,
      clientId: sim.clientId,
    },
    "CLOUD SIMULATOR: this is NOT AWS or Azure. Nothing granted here exists in any real cloud.",
  );
  if (config.NODE_ENV === "production") {
    log.warn("NODE_ENV=production but this is the cloud simulator: no real access is ever granted by it");
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping cloud simulator");
    await sim.stop();
    log.flush();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error("csecbridge-cloudsim: failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
