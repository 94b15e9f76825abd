import { readFileSync } from "node:fs";
import { createAwsProvider } from "../../lib/providers/aws/aws-provider.ts";
import { createIamClient } from "../../lib/providers/aws/create-iam-client.ts";
import { createAzureClient, createAzureProvider } from "../../lib/providers/azure/index.ts";
import type { ProviderClient } from "../../lib/providers/types.ts";
import type { WorkerConfig } from "./config.ts";

/** Builds the one cloud client this worker process talks to, from its validated config. */
export function buildProvider(config: WorkerConfig): ProviderClient {
  if (config.provider === "aws") {
    return createAwsProvider({
      client: createIamClient({
        region: config.AWS_REGION,
        ...(config.AWS_ENDPOINT_URL_IAM ? { endpoint: config.AWS_ENDPOINT_URL_IAM } : {}),
        requestTimeoutMs: Math.min(config.CLOUD_CALL_TIMEOUT_MS, 10_000),
      }),
    });
  }
  const caPem = config.AZURE_CA_FILE ? readFileSync(config.AZURE_CA_FILE, "utf8") : undefined;
  return createAzureProvider({
    client: createAzureClient({
      tenantId: config.AZURE_TENANT_ID ?? "",
      clientId: config.AZURE_CLIENT_ID ?? "",
      clientSecret: config.AZURE_CLIENT_SECRET ?? "",
      ...(config.AZURE_AUTHORITY_HOST ? { authorityHost: config.AZURE_AUTHORITY_HOST } : {}),
      ...(config.AZURE_ARM_ENDPOINT ? { armEndpoint: config.AZURE_ARM_ENDPOINT } : {}),
      ...(config.AZURE_SUBSCRIPTION_ID ? { subscriptionId: config.AZURE_SUBSCRIPTION_ID } : {}),
      ...(caPem ? { caPem } : {}),
    }),
    callTimeoutMs: config.CLOUD_CALL_TIMEOUT_MS,
  });
}
