import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import { createAzureClient } from "../../../../lib/providers/azure/create-azure-client.ts";
import { type CloudsimOptions, type RunningCloudsim, startCloudsim } from "../server.ts";
import type { ArmSim } from "./arm-sim.ts";

export interface AzureTestSim {
  cloud: RunningCloudsim;
  sim: ArmSim;
  /** A subscription for scopes in tests (the simulator accepts any well-formed one). */
  subscriptionId: string;
  /** The real SDK client, trusting the simulator's CA through tlsOptions, SDK retries off. */
  client(opts?: { clientSecret?: string; maxRetries?: number }): AuthorizationManagementClient;
  stop(): Promise<void>;
}

/** Starts the whole cloudsim on ephemeral ports, as a test would run it. */
export async function startAzureTestSim(opts: CloudsimOptions = {}): Promise<AzureTestSim> {
  const cloud = await startCloudsim(opts);
  return {
    cloud,
    sim: cloud.azure,
    subscriptionId: "5f3c1c1e-9b0a-4d55-8f55-3b1f0c7e2a11",
    client: (o = {}) =>
      createAzureClient({
        tenantId: cloud.tenantId,
        clientId: cloud.clientId,
        clientSecret: o.clientSecret ?? cloud.clientSecret,
        authorityHost: cloud.authorityHost,
        armEndpoint: cloud.azureUrl,
        caPem: cloud.caPem,
        maxRetries: o.maxRetries ?? 0,
      }),
    stop: () => cloud.stop(),
  };
}

/** Awaits a rejection and returns it, failing the test when the promise resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection, got a value");
}
