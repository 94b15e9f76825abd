import { randomUUID } from "node:crypto";
import {
  applyFaults,
  createFaultState,
  type FaultConfig,
  type FaultState,
  hangUntilAbandoned,
} from "../faults.ts";
import { IAM_ACTIONS } from "./actions/action-table.ts";
import { attachPolicy } from "./attachment-ops.ts";
import { IamError } from "./iam-error.ts";
import { bump, createStore, type IamStore } from "./iam-store.ts";
import { putInlinePolicy } from "./inline-policy-ops.ts";
import { addUserToGroup } from "./membership-ops.ts";
import { createPolicy } from "./policy-ops.ts";
import { createGroup, createRole, createUser } from "./principal-ops.ts";
import { QueryParams } from "./query-params.ts";
import { type IamState, snapshotOf } from "./snapshot.ts";
import { errorDocument, successDocument } from "./xml.ts";

export type { IamState } from "./snapshot.ts";

export const IAM_API_VERSION = "2010-05-08";
export const DEFAULT_ACCOUNT_ID = "123456789012";

export interface IamSimOptions {
  /** A shared holder (one control endpoint for every simulated cloud) or initial knob values. */
  faults?: FaultState | Partial<FaultConfig>;
  /** Account that owns customer principals and policies. */
  accountId?: string;
  now?: () => Date;
  /** Randomness for the fault rates. */
  random?: () => number;
}

/** A policy document for seeding: an object (serialised as JSON) or the exact text to store. */
export type SeedDocument = string | Record<string, unknown>;

export interface SeedPrincipalOptions {
  path?: string;
  attachedPolicies?: readonly string[];
  inlinePolicies?: Readonly<Record<string, SeedDocument>>;
}

export interface IamSim {
  /** A fetch handler speaking the IAM Query API; usable as `Bun.serve({ fetch: sim.handle })`. */
  handle(req: Request): Promise<Response>;
  snapshot(): IamState;
  /** Empties the account, counters and denied actions. Faults are left alone: their holder may be shared. */
  reset(): void;
  readonly faults: FaultState;
  readonly accountId: string;
  /** Seeding bypasses the wire, fault knobs and counters; it returns the new entity's ARN. */
  seedUser(name: string, opts?: SeedPrincipalOptions & { groups?: readonly string[] }): string;
  seedRole(name: string, opts?: SeedPrincipalOptions & { assumeRolePolicyDocument?: SeedDocument }): string;
  seedGroup(name: string, opts?: SeedPrincipalOptions): string;
  seedPolicy(name: string, document: SeedDocument, opts?: { path?: string; description?: string }): string;
  /** Answer AccessDenied (403) to these actions, as when the bridge's own IAM identity lacks a permission. */
  denyActions(actions: readonly string[]): void;
}

const DEFAULT_TRUST_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
};

const docText = (d: SeedDocument) => (typeof d === "string" ? d : JSON.stringify(d));

const isFaultState = (f: FaultState | Partial<FaultConfig>): f is FaultState =>
  typeof (f as Partial<FaultState>).current === "function";

/** SigV4 in a header, or presigned in the query string; signatures are not verified. */
function hasSigV4(req: Request, url: URL): boolean {
  const auth = req.headers.get("authorization");
  if (auth !== null)
    return /^AWS4-HMAC-SHA256 Credential=[^,\s]+,\s*SignedHeaders=[^,\s]+,\s*Signature=[0-9a-f]+$/.test(auth);
  return (
    url.searchParams.get("X-Amz-Algorithm") === "AWS4-HMAC-SHA256" && url.searchParams.has("X-Amz-Signature")
  );
}

async function readForm(req: Request, url: URL): Promise<URLSearchParams> {
  const form = new URLSearchParams(url.search);
  if (req.method === "POST") {
    const type = req.headers.get("content-type") ?? "";
    if (type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      for (const [k, v] of new URLSearchParams(await req.text())) form.append(k, v);
    }
  }
  return form;
}

export function createIamSim(opts: IamSimOptions = {}): IamSim {
  const accountId = opts.accountId ?? DEFAULT_ACCOUNT_ID;
  const now = opts.now ?? (() => new Date());
  const faults =
    opts.faults !== undefined && isFaultState(opts.faults) ? opts.faults : createFaultState(opts.faults);
  let store: IamStore = createStore(accountId);
  let denied = new Set<string>();

  const xmlResponse = (status: number, body: string, requestId: string) =>
    new Response(body, { status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId } });

  const errorResponse = (err: IamError, requestId: string) =>
    xmlResponse(err.status, errorDocument(err.faultType, err.iamCode, err.message, requestId), requestId);

  async function dispatch(req: Request, requestId: string): Promise<Response> {
    const url = new URL(req.url);
    if (req.method !== "POST" && req.method !== "GET") {
      throw new IamError("InvalidAction", `The HTTP method ${req.method} is not supported.`);
    }
    if (!hasSigV4(req, url)) {
      const present = req.headers.has("authorization") || url.searchParams.has("X-Amz-Signature");
      throw present
        ? new IamError(
            "IncompleteSignature",
            "Authorization header requires AWS4-HMAC-SHA256 with Credential, SignedHeaders and Signature.",
          )
        : new IamError("MissingAuthenticationToken", "Request is missing Authentication Token");
    }
    const form = await readForm(req, url);
    const action = form.get("Action") ?? "";
    const version = form.get("Version") ?? "";
    const def = IAM_ACTIONS[action];
    if (def === undefined || version !== IAM_API_VERSION) {
      throw new IamError("InvalidAction", `Could not find operation ${action} for version ${version}`);
    }
    bump(store.requests, action);
    const fault = await applyFaults(faults, opts.random === undefined ? {} : { random: opts.random }, {
      action,
      params: (name) => form.get(name),
    });
    if (fault?.kind === "throttle") {
      const err = new IamError("Throttling", "Rate exceeded");
      const res = errorResponse(err, requestId);
      // Real IAM names no Retry-After when an account goes over its rate; a drill's rule may.
      if (fault.retryAfterSeconds !== undefined && fault.rate !== true)
        res.headers.set("retry-after", String(fault.retryAfterSeconds));
      return res;
    }
    if (fault?.kind === "hang") {
      await hangUntilAbandoned(req);
      throw new IamError("ServiceFailure", "The request timed out.");
    }
    if (fault?.kind === "server_error") {
      throw new IamError(
        "ServiceFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
      );
    }
    if (denied.has(action)) {
      throw new IamError(
        "AccessDenied",
        `User: arn:aws:iam::${accountId}:user/csecbridge is not authorized to perform: iam:${action} ` +
          `because no identity-based policy allows the iam:${action} action`,
      );
    }
    // Handlers are synchronous, so each call's checks and changes are atomic, as in one IAM request.
    const result = def.run({ store, params: new QueryParams(form), now: now() });
    if (def.mutating) bump(store.mutations, action);
    if (fault?.kind === "drop_reply") {
      // Applied, and the answer never arrives: the caller cannot tell this from a hung call.
      await hangUntilAbandoned(req);
    }
    return xmlResponse(200, successDocument(action, result, requestId), requestId);
  }

  const handle = async (req: Request): Promise<Response> => {
    const requestId = randomUUID();
    try {
      return await dispatch(req, requestId);
    } catch (err) {
      if (err instanceof IamError) return errorResponse(err, requestId);
      // A simulator bug must still look like IAM to the SDK, and must not leak a stack trace.
      return errorResponse(
        new IamError(
          "ServiceFailure",
          "The request processing has failed because of an unknown error, exception or failure.",
        ),
        requestId,
      );
    }
  };

  function seedPrincipalExtras(kind: "user" | "role" | "group", name: string, o: SeedPrincipalOptions): void {
    for (const arn of o.attachedPolicies ?? []) attachPolicy(store, kind, name, arn);
    for (const [policyName, doc] of Object.entries(o.inlinePolicies ?? {})) {
      putInlinePolicy(store, kind, name, policyName, docText(doc));
    }
  }

  return {
    handle,
    faults,
    accountId,
    snapshot: () => snapshotOf(store),
    reset() {
      store = createStore(accountId);
      denied = new Set();
    },
    seedUser(name, o = {}) {
      const user = createUser(store, { name, path: o.path, now: now() });
      seedPrincipalExtras("user", name, o);
      for (const group of o.groups ?? []) addUserToGroup(store, group, name);
      return user.arn;
    },
    seedRole(name, o = {}) {
      const role = createRole(store, {
        name,
        path: o.path,
        assumeRolePolicyDocument: docText(o.assumeRolePolicyDocument ?? DEFAULT_TRUST_POLICY),
        now: now(),
      });
      seedPrincipalExtras("role", name, o);
      return role.arn;
    },
    seedGroup(name, o = {}) {
      const group = createGroup(store, { name, path: o.path, now: now() });
      seedPrincipalExtras("group", name, o);
      return group.arn;
    },
    seedPolicy(name, document, o = {}) {
      return createPolicy(store, { name, document: docText(document), ...o, now: now() }).arn;
    },
    denyActions(actions) {
      denied = new Set(actions);
    },
  };
}
