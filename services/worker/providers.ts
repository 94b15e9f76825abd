import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import type { Logger } from "../../lib/logging/logger.ts";
import { createAwsProvider } from "../../lib/providers/aws/aws-provider.ts";
import { createIamClient } from "../../lib/providers/aws/create-iam-client.ts";
import { createAzureClient, createAzureProvider } from "../../lib/providers/azure/index.ts";
import type { CallBudgetObserver } from "../../lib/providers/budget/call-budget.ts";
import { createCallBudget } from "../../lib/providers/budget/call-budget.ts";
import type { ProviderClient } from "../../lib/providers/types.ts";
import type { WorkerConfig } from "./config.ts";

export interface ProviderWiring {
  /** The connection the account's call budget lives on. */
  redis: Redis;
  log: Logger;
  budgetObserver?: CallBudgetObserver;
}

/** Builds the one cloud client this worker process talks to, from its validated config. */
export function buildProvider(config: WorkerConfig, wiring: ProviderWiring): ProviderClient {
  const settings = config.callBudget;
  const budget =
    settings === null
      ? undefined
      : createCallBudget({
          redis: wiring.redis,
          provider: config.provider,
          ...settings,
          // Fail open fast: a slow Redis must not slow every cloud call down to its own timeout.
          redisTimeoutMs: Math.min(config.REDIS_TIMEOUT_MS, 500),
          log: wiring.log,
          ...(wiring.budgetObserver ? { observer: wiring.budgetObserver } : {}),
        });
  // One keep-alive connection per job slot (a job's calls are sequential): calls never queue for a
  // socket, nor open more. Measured under Bun 1.4: both SDKs' node:http(s) agents honour keepAlive
  // and maxSockets (48 calls, 16 at a time, maxSockets 4: 4 connections; without it, 16).
  const maxSockets = config.QUEUE_CONCURRENCY;
  if (config.provider === "aws") {
    return createAwsProvider({
      client: createIamClient({
        region: config.AWS_REGION,
        ...(config.AWS_ENDPOINT_URL_IAM ? { endpoint: config.AWS_ENDPOINT_URL_IAM } : {}),
        requestTimeoutMs: Math.min(config.CLOUD_CALL_TIMEOUT_MS, 10_000),
        ...(budget ? { budget } : {}),
        maxSockets,
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
      ...(budget ? { budget } : {}),
      maxSockets,
    }),
    callTimeoutMs: config.CLOUD_CALL_TIMEOUT_MS,
  });
}
