import { Agent as HttpsAgent } from "node:https";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ClientSecretCredential } from "@azure/identity";
import type { CallBudget } from "../budget/call-budget.ts";
import { addCallBudget } from "./call-budget-policy.ts";

export interface AzureClientOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Entra authority, default Microsoft's public cloud. Must be https (MSAL refuses http). */
  authorityHost?: string;
  /** ARM endpoint, default https://management.azure.com. Must be https (bearer auth refuses http). */
  armEndpoint?: string;
  /**
   * Required by the SDK's constructor even though every call here takes an explicit scope; a
   * placeholder is used when absent because no call reads it.
   */
  subscriptionId?: string;
  /**
   * Extra CA to trust, for the cloud simulator's throwaway CA. As in Node's https.Agent, it
   * REPLACES the default roots for this client, so set it only when pointing at the simulator.
   */
  caPem?: string;
  /**
   * SDK-level retries of 408/429/5xx and network errors. Default 0: the work queue already retries
   * transient ProviderErrors with backoff, jitter and a bounded attempt count, all recorded per
   * request. SDK retries on top would multiply (4 SDK tries × N queue attempts), hide throttling
   * from the queue's metrics, and let one job sit for minutes honouring a long Retry-After.
   */
  maxRetries?: number;
  /** Token audience; ARM's, whatever endpoint serves it (see below). */
  credentialScope?: string;
  /** The tenant's shared call budget, on the ARM pipeline (never on the token requests). */
  budget?: CallBudget;
  /**
   * Keep-alive connections to ARM: the worker's concurrency. Absent: the pipeline's own agent
   * (keep-alive, no socket bound).
   */
  maxSockets?: number;
}

/** Hosts of Microsoft's own Entra authorities: instance discovery works only against these. */
const MICROSOFT_AUTHORITIES = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);

const PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

export function createAzureClient(opts: AzureClientOptions): AuthorizationManagementClient {
  const tlsOptions = opts.caPem === undefined ? undefined : { ca: opts.caPem };
  const retryOptions = { maxRetries: opts.maxRetries ?? 0 };
  const authorityHost = opts.authorityHost;
  const microsoftAuthority =
    authorityHost === undefined || MICROSOFT_AUTHORITIES.has(new URL(authorityHost).hostname.toLowerCase());
  // tlsOptions must be given to the credential as well: it has its own pipeline (MSAL's network
  // client), and the ARM client's options do not reach the token request.
  const credential = new ClientSecretCredential(opts.tenantId, opts.clientId, opts.clientSecret, {
    ...(authorityHost === undefined ? {} : { authorityHost }),
    // Without this, MSAL first asks login.microsoftonline.com to validate a foreign authority
    // and fails after ~5 s; there is no environment variable for it.
    disableInstanceDiscovery: !microsoftAuthority,
    tlsOptions,
    retryOptions,
  });
  // An agent of our own replaces the one the pipeline would build from tlsOptions, so it carries
  // the CA itself.
  const agent =
    opts.maxSockets === undefined
      ? undefined
      : new HttpsAgent({ keepAlive: true, maxSockets: opts.maxSockets, ...(tlsOptions ?? {}) });
  const client = new AuthorizationManagementClient(
    credential,
    opts.subscriptionId ?? PLACEHOLDER_SUBSCRIPTION,
    {
      endpoint: opts.armEndpoint ?? "https://management.azure.com",
      // Without credentialScopes a custom endpoint changes the token audience to
      // `<endpoint>/.default`, which ARM (and the simulator) reject.
      credentialScopes: [opts.credentialScope ?? "https://management.azure.com/.default"],
      tlsOptions,
      ...(agent === undefined ? {} : { agent }),
      retryOptions,
      userAgentOptions: { userAgentPrefix: "csecbridge" },
    },
  );
  if (opts.budget) addCallBudget(client, opts.budget);
  return client;
}
