import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ClientSecretCredential } from "@azure/identity";
import { type RunningCloudsim, startCloudsim } from "../server.ts";
import { createSimTls } from "../tls.ts";
import { rejectionOf } from "./test-harness.ts";

// How a client comes to trust the simulator's throwaway CA, measured with the real SDKs in Bun.
// TLS exists for Azure only (the AWS SDK is fine with http), hence this file's place.

const SUB = "5f3c1c1e-9b0a-4d55-8f55-3b1f0c7e2a11";
const ARM_SCOPE = ["https://management.azure.com/.default"];

describe.each(["openssl", "js"] as const)("certificates made by %s", (generator) => {
  test("chain to the CA for 127.0.0.1, localhost, ::1 and extra names; untrusted without the CA", async () => {
    const tls = await createSimTls({ generator, extraHostnames: ["cloudsim"] });
    expect(tls.generator).toBe(generator);
    const ca = new X509Certificate(tls.caPem);
    const leaf = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toContain("DNS:cloudsim");

    const server = Bun.serve({
      hostname: "::",
      port: 0,
      tls: { cert: tls.certPem, key: tls.keyPem },
      fetch: () => new Response("ok"),
    });
    try {
      for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
        const res = await fetch(`https://${host}:${server.port}/`, { tls: { ca: tls.caPem } });
        expect(await res.text()).toBe("ok");
      }
      const err = await rejectionOf(fetch(`https://127.0.0.1:${server.port}/`));
      expect(String(err)).toMatch(/certificate/i);
    } finally {
      await server.stop(true);
    }
  });
});

describe("trusting the simulator from the Azure SDKs", () => {
  let sim: RunningCloudsim;
  beforeAll(async () => {
    sim = await startCloudsim();
  });
  afterAll(() => sim.stop());

  const credential = (ca: string | undefined) =>
    new ClientSecretCredential(sim.tenantId, sim.clientId, sim.clientSecret, {
      authorityHost: sim.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: ca === undefined ? undefined : { ca },
      retryOptions: { maxRetries: 0 },
    });
  const arm = (cred: ClientSecretCredential, ca: string | undefined) =>
    new AuthorizationManagementClient(cred, SUB, {
      endpoint: sim.azureUrl,
      credentialScopes: ARM_SCOPE,
      tlsOptions: ca === undefined ? undefined : { ca },
      retryOptions: { maxRetries: 0 },
    });
  const probe = (client: AuthorizationManagementClient) =>
    client.roleAssignments.delete(`/subscriptions/${SUB}`, crypto.randomUUID());

  test("the CA file holds the CA that signed the server certificate", async () => {
    expect(await readFile(sim.caFile, "utf8")).toBe(sim.caPem);
  });

  test("tlsOptions.ca on both the credential and the ARM client works", async () => {
    expect(await probe(arm(credential(sim.caPem), sim.caPem))).toBeDefined();
  });

  test("the ARM client's tlsOptions do not reach the credential's token request", async () => {
    const err = await rejectionOf(probe(arm(credential(undefined), sim.caPem)));
    expect(err).toMatchObject({ name: "CredentialUnavailableError" });
  });

  test("the credential's tlsOptions do not reach ARM calls", async () => {
    const err = await rejectionOf(probe(arm(credential(sim.caPem), undefined)));
    expect(err).toMatchObject({ name: "RestError", statusCode: undefined });
  });

  test("NODE_EXTRA_CA_CERTS, set before a Bun process starts, covers both without tlsOptions", async () => {
    const script = `
      const { ClientSecretCredential } = await import("@azure/identity");
      const { AuthorizationManagementClient } = await import("@azure/arm-authorization");
      const [base, tenant, client, secret] = process.argv.slice(-4);
      const cred = new ClientSecretCredential(tenant, client, secret,
        { authorityHost: base, disableInstanceDiscovery: true, retryOptions: { maxRetries: 0 } });
      const arm = new AuthorizationManagementClient(cred, "${SUB}",
        { endpoint: base, credentialScopes: ${JSON.stringify(ARM_SCOPE)}, retryOptions: { maxRetries: 0 } });
      let status = 0;
      try {
        await arm.roleAssignments.delete("/subscriptions/${SUB}", crypto.randomUUID(),
          { onResponse: (r) => { status = r.status; } });
        console.log("status " + status);
      } catch (e) { console.log("error " + e.name); }`;
    const run = async (env: Record<string, string | undefined>) => {
      const child = Bun.spawn(
        [process.execPath, "-e", script, sim.azureUrl, sim.tenantId, sim.clientId, sim.clientSecret],
        { cwd: resolve(import.meta.dir, "../../.."), env, stdout: "pipe", stderr: "ignore" },
      );
      const out = await new Response(child.stdout).text();
      await child.exited;
      return out.trim();
    };
    const { NODE_EXTRA_CA_CERTS: _drop, ...env } = process.env;
    expect(await run({ ...env, NODE_EXTRA_CA_CERTS: sim.caFile })).toBe("status 204");
    expect(await run(env)).toBe("error CredentialUnavailableError");
  });
});
