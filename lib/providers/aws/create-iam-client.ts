import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { IAMClient } from "@aws-sdk/client-iam";
import type { CallBudget } from "../budget/call-budget.ts";
import { addCallBudget } from "./call-budget-middleware.ts";

export interface IamClientOptions {
  /** e.g. the cloudsim's URL. When absent the SDK uses AWS_ENDPOINT_URL_IAM if set, else iam.amazonaws.com. */
  endpoint?: string;
  region: string;
  /** Total tries per call including the first; default 2. */
  maxAttempts?: number;
  /** Upper bound for one HTTP request and its response; default 10 s. */
  requestTimeoutMs?: number;
  /** Upper bound for establishing the TCP/TLS connection; default 3 s. */
  connectionTimeoutMs?: number;
  /** Static credentials (tests, cloudsim). When absent the SDK's default provider chain is used. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The account's shared call budget: every HTTP request (SDK retries too) takes a slot first. */
  budget?: CallBudget;
  /**
   * Keep-alive connections kept per host: the worker's concurrency (one in-flight call per job
   * slot). Absent: the SDK's own agents.
   */
  maxSockets?: number;
}

/**
 * Retries are layered: the job queue retries a failed grant with exponential backoff, and the SDK
 * retries throttling, 5xx and network errors inside one call (its default is 3 attempts). Left at the
 * default the two multiply (queue attempts × 3 calls, each with its own backoff), so the SDK gets 2
 * attempts here: one quick in-process retry absorbs a blip without a round trip through the queue,
 * and the queue's policy owns everything longer. The SDK also retries IAM's LimitExceeded (a quota,
 * permanent) because `LimitExceededException` is in its throttling list; 2 attempts bound that waste.
 *
 * The SDK's requestTimeout only logs a warning unless `throwOnRequestTimeout` is set, so it is set:
 * a hung connection must fail the call (as a retryable TimeoutError), never stall a worker.
 */
export function createIamClient(opts: IamClientOptions): IAMClient {
  const agents =
    opts.maxSockets === undefined
      ? {}
      : {
          httpAgent: new HttpAgent({ keepAlive: true, maxSockets: opts.maxSockets }),
          httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: opts.maxSockets }),
        };
  const client = new IAMClient({
    region: opts.region,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    maxAttempts: opts.maxAttempts ?? 2,
    requestHandler: {
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
      throwOnRequestTimeout: true,
      ...agents,
    },
  });
  if (opts.budget) addCallBudget(client, opts.budget);
  return client;
}
