import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { Logger } from "../../../lib/logging/logger.ts";
import { createIamSim, type IamSim } from "./aws/index.ts";
import {
  type ArmSim,
  type ArmSimBehaviour,
  armSeedSchema,
  createArmSim,
  DEFAULT_CLIENT_SECRET,
} from "./azure/index.ts";
import { faultPatchSchema } from "./faults.ts";
import { createSimTls, type SimTlsOptions } from "./tls.ts";

/**
 * The cloud simulator as one process: the AWS IAM Query API over plain http on one port, the
 * Azure ARM role-assignment API and the Entra token endpoint over https (the Azure SDKs insist)
 * on another. Both ports also answer the control endpoints under /_sim/ for tests and dev:
 *   GET  /_sim/state   both simulators' state
 *   POST /_sim/faults  {aws?: FaultPatch, azure?: FaultPatch}
 *   POST /_sim/reset   empty both clouds, clear faults
 *   POST /_sim/seed    {aws?: {users, roles, groups, policies}, azure?: {principals, roleDefinitions, roleAssignments}}
 * The control endpoints are unauthenticated: the simulator listens on loopback by default and
 * holds nothing real.
 */
export interface CloudsimOptions {
  host?: string;
  /** 0 (default) picks a free port: what tests use. */
  awsPort?: number;
  azurePort?: number;
  /** Where the CA PEM is written; default: a fresh temp file removed by stop(). */
  caFile?: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  azureBehaviour?: Partial<ArmSimBehaviour>;
  tlsGenerator?: SimTlsOptions["generator"];
  /** Extra DNS names for the certificate (a compose service name workers dial). */
  tlsHostnames?: readonly string[];
  logger?: Logger;
}

export interface RunningCloudsim {
  awsUrl: string;
  azureUrl: string;
  /** Entra authority host for ClientSecretCredential (same server as ARM). */
  authorityHost: string;
  caPem: string;
  caFile: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  aws: IamSim;
  azure: ArmSim;
  stop(): Promise<void>;
}

const awsPrincipalSeed = z.strictObject({
  name: z.string().min(1).max(128),
  path: z.string().max(512).optional(),
  attachedPolicies: z.array(z.string()).optional(),
  inlinePolicies: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
});

const awsSeedSchema = z.strictObject({
  users: z.array(awsPrincipalSeed.extend({ groups: z.array(z.string()).optional() })).optional(),
  roles: z.array(awsPrincipalSeed).optional(),
  groups: z.array(awsPrincipalSeed).optional(),
  policies: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(128),
        document: z.union([z.string(), z.record(z.string(), z.unknown())]),
        path: z.string().max(512).optional(),
        description: z.string().max(1000).optional(),
      }),
    )
    .optional(),
});

const seedBody = z.strictObject({ aws: awsSeedSchema.optional(), azure: armSeedSchema.optional() });
const faultsBody = z.strictObject({ aws: faultPatchSchema.optional(), azure: faultPatchSchema.optional() });

const adminJson = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function seedAws(aws: IamSim, seed: z.infer<typeof awsSeedSchema>): void {
  // Policies first: principals may attach them.
  for (const p of seed.policies ?? []) {
    aws.seedPolicy(p.name, p.document, { path: p.path, description: p.description });
  }
  for (const g of seed.groups ?? []) aws.seedGroup(g.name, g);
  for (const r of seed.roles ?? []) aws.seedRole(r.name, r);
  for (const u of seed.users ?? []) aws.seedUser(u.name, u);
}

function createAdminHandler(aws: IamSim, azure: ArmSim) {
  const state = () => ({
    aws: aws.snapshot(),
    azure: azure.snapshot(),
    // Throttles answered since start or reset: a run at a rate limit shows here that none were.
    throttles: { aws: aws.faults.stats(), azure: azure.faults.stats() },
  });
  return async (req: Request, path: string): Promise<Response> => {
    const route = `${req.method.toUpperCase()} ${path}`;
    try {
      switch (route) {
        case "GET /_sim/state":
          return adminJson(200, state());
        case "POST /_sim/reset":
          aws.reset();
          aws.faults.reset();
          azure.reset();
          return adminJson(200, state());
        case "POST /_sim/faults": {
          const body = faultsBody.parse(await req.json());
          if (body.aws) aws.faults.set(body.aws);
          if (body.azure) azure.faults.set(body.azure);
          return adminJson(200, { aws: aws.faults.current(), azure: azure.faults.current() });
        }
        case "POST /_sim/seed": {
          const body = seedBody.parse(await req.json());
          if (body.aws) seedAws(aws, body.aws);
          if (body.azure) azure.seed(body.azure);
          return adminJson(200, state());
        }
        default:
          return adminJson(404, { error: `no control endpoint ${route}` });
      }
    } catch (err) {
      const detail =
        err instanceof z.ZodError
          ? err.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
          : [err instanceof Error ? err.message : String(err)];
      return adminJson(400, { error: "bad control request", detail });
    }
  };
}

export async function startCloudsim(opts: CloudsimOptions = {}): Promise<RunningCloudsim> {
  const host = opts.host ?? "127.0.0.1";
  const ownCaDir = opts.caFile === undefined ? await mkdtemp(join(tmpdir(), "cloudsim-ca-")) : null;
  const caFile = opts.caFile ?? join(ownCaDir ?? "", "ca.pem");
  const tls = await createSimTls({ caFile, generator: opts.tlsGenerator, extraHostnames: opts.tlsHostnames });

  // A wildcard listen address is not something a client can dial; advertise loopback instead.
  const advertised = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const urlHost = advertised.includes(":") ? `[${advertised}]` : advertised;
  const aws = createIamSim();
  // No baseUrl: the simulator answers with the origin each client dialled, so metadata and
  // nextLinks are right for loopback tests and for containers reaching it by service name alike.
  const azure = createArmSim({
    tenantId: opts.tenantId,
    clientId: opts.clientId,
    clientSecret: opts.clientSecret,
    behaviour: opts.azureBehaviour,
  });
  const admin = createAdminHandler(aws, azure);
  const log = opts.logger;

  const route = (sim: { handle(req: Request): Promise<Response> }, cloud: string) => async (req: Request) => {
    const path = new URL(req.url).pathname.replace(/^\/{2,}/, "/");
    if (path === "/healthz") return adminJson(200, { status: "ok", cloud });
    const res = path.startsWith("/_sim/") ? await admin(req, path) : await sim.handle(req);
    log?.debug({ cloud, method: req.method, path, status: res.status }, "cloudsim call");
    return res;
  };

  const dropOwnCa = async () => {
    if (ownCaDir !== null) await rm(ownCaDir, { recursive: true, force: true });
  };
  let awsServer: ReturnType<typeof Bun.serve>;
  try {
    awsServer = Bun.serve({ hostname: host, port: opts.awsPort ?? 0, fetch: route(aws, "aws") });
  } catch (err) {
    await dropOwnCa();
    throw err;
  }
  let azureServer: ReturnType<typeof Bun.serve>;
  try {
    azureServer = Bun.serve({
      hostname: host,
      port: opts.azurePort ?? 0,
      tls: { cert: tls.certPem, key: tls.keyPem },
      fetch: route(azure, "azure"),
    });
  } catch (err) {
    await awsServer.stop(true);
    await dropOwnCa();
    throw err;
  }
  const azureUrl = `https://${urlHost}:${azureServer.port}`;
  log?.info({ tlsGenerator: tls.generator, caFile }, "cloudsim TLS ready");

  return {
    awsUrl: `http://${urlHost}:${awsServer.port}`,
    azureUrl,
    authorityHost: azureUrl,
    caPem: tls.caPem,
    caFile,
    tenantId: azure.tenantId,
    clientId: azure.clientId,
    clientSecret: opts.clientSecret ?? DEFAULT_CLIENT_SECRET,
    aws,
    azure,
    async stop() {
      await Promise.all([awsServer.stop(true), azureServer.stop(true)]);
      await dropOwnCa();
    },
  };
}
