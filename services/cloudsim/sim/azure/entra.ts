import { timingSafeEqual } from "node:crypto";
import type { ArmState } from "./state.ts";

/**
 * The slice of Microsoft Entra ID (login.microsoftonline.com) that @azure/identity's
 * ClientSecretCredential touches with `disableInstanceDiscovery: true`: the tenant's OpenID
 * metadata, then a client-credentials POST to its token endpoint. Tokens are opaque random
 * strings remembered by the simulator (ARM only checks that it issued them); error bodies follow
 * Entra's `{error, error_description: "AADSTSnnnn: …", error_codes}` shape.
 */
export interface EntraConfig {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export const TOKEN_LIFETIME_S = 3600;

/** Audiences ARM accepts; anything else is a client that forgot `credentialScopes`. */
export const ARM_AUDIENCES = ["https://management.azure.com/", "https://management.core.windows.net/"];

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store, no-cache" },
  });

function entraError(status: number, error: string, aadsts: number, description: string): Response {
  const traceId = crypto.randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return json(status, {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${crypto.randomUUID()} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: crypto.randomUUID(),
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  });
}

/** Returns a response when the path is an Entra endpoint, undefined otherwise. */
export async function handleEntra(
  req: Request,
  path: string,
  state: ArmState,
  cfg: EntraConfig,
  /** Scheme://host:port the client reached us at; every URL we hand out must use it. */
  baseUrl: string,
): Promise<Response | undefined> {
  // MSAL asks this only when instance discovery is on; answered so a client that forgot to turn
  // it off still works against the simulator (it would then also call Microsoft: see the notes).
  if (req.method === "GET" && path.toLowerCase() === "/common/discovery/instance") {
    const host = new URL(baseUrl).host;
    return json(200, {
      tenant_discovery_endpoint: `${baseUrl}/${cfg.tenantId}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }
  const m =
    /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token|discovery\/v2\.0\/keys)$/i.exec(
      path,
    );
  if (!m) return undefined;
  const [, tenant = "", endpoint = ""] = m;
  if (tenant.toLowerCase() !== cfg.tenantId.toLowerCase()) {
    return entraError(400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
  }
  const base = `${baseUrl}/${cfg.tenantId}`;
  switch (endpoint.toLowerCase()) {
    case "v2.0/.well-known/openid-configuration":
      if (req.method !== "GET") return undefined;
      // MSAL checks that these share the authority's scheme, host and port.
      return json(200, {
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        token_endpoint_auth_methods_supported: [
          "client_secret_post",
          "private_key_jwt",
          "client_secret_basic",
        ],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        tenant_region_scope: null,
        cloud_instance_name: "cloudsim.local",
      });
    case "discovery/v2.0/keys":
      return req.method === "GET" ? json(200, { keys: [] }) : undefined;
    default:
      return req.method === "POST" ? issueToken(req, state, cfg) : undefined;
  }
}

async function issueToken(req: Request, state: ArmState, cfg: EntraConfig): Promise<Response> {
  const form = new URLSearchParams(await req.text());
  const grantType = form.get("grant_type");
  if (grantType !== "client_credentials") {
    return entraError(
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType ?? ""}'.`,
    );
  }
  const clientId = form.get("client_id") ?? "";
  if (clientId.toLowerCase() !== cfg.clientId.toLowerCase()) {
    return entraError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${cfg.tenantId}'.`,
    );
  }
  // Constant-time compare: the simulator should not teach timing-leaky habits.
  const given = new TextEncoder().encode(form.get("client_secret") ?? "");
  const want = new TextEncoder().encode(cfg.clientSecret);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return entraError(401, "invalid_client", 7000215, "Invalid client secret provided.");
  }
  const scope = form.get("scope") ?? "";
  const resource = /^(.+\/)\.default$/.exec(scope.split(" ").find((s) => s.endsWith("/.default")) ?? "")?.[1];
  if (resource === undefined) {
    return entraError(400, "invalid_scope", 1002012, `The provided value for scope ${scope} is not valid.`);
  }
  const now = Date.now();
  for (const [t, v] of state.tokens) if (v.expiresAt <= now) state.tokens.delete(t);
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  state.tokens.set(token, {
    clientId,
    audience: resource.replace(/\/+$/, "/"),
    expiresAt: now + TOKEN_LIFETIME_S * 1000,
  });
  state.calls.tokens++;
  return json(200, {
    token_type: "Bearer",
    expires_in: TOKEN_LIFETIME_S,
    ext_expires_in: TOKEN_LIFETIME_S,
    access_token: token,
  });
}
