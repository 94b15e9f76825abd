import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { insertRequest } from "../../lib/db/requests.ts";
import { claimForProcessing, markSucceeded } from "../../lib/db/transitions.ts";
import { EXAMPLE_AZURE, EXAMPLE_IDS, exampleBodies } from "../../lib/http/openapi/examples.ts";
import { ENDPOINTS, openApiDocument } from "../../lib/http/openapi/index.ts";
import { PUBLIC_API_PATHS } from "../../lib/http/routes/docs.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import type { Role } from "../../lib/policy/schema.ts";
import { accessKeyOf } from "../../lib/providers/access-key.ts";
import { requestHash } from "../../lib/requests/request-hash.ts";
import { principalOf, type RequestPayload } from "../../lib/schemas/request.ts";
import { auth, createTestApi, type TestApi, type TestClient } from "../helpers/api.ts";

type Json = Record<string, unknown>;

const doc = openApiDocument() as Json & { paths: Record<string, Record<string, Json>> };
/** Hono's `/api/v1/requests/:id` is OpenAPI's `/api/v1/requests/{id}`. */
const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z_]+)/g, "{$1}");

describe("the OpenAPI document", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  test("is a valid OpenAPI 3.1 document (the official schema, through an npm validator)", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test("every route the app serves is in it, and it documents nothing the app does not serve", () => {
    const served = new Set(
      api.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${toOpenApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)),
    );
    expect([...served].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !served.has(r)).sort()).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(10);
  });

  test("the public /api/v1 paths are exactly those documented without security", () => {
    const open = ENDPOINTS.filter((e) => e.security === "none" && e.path.startsWith("/api/v1/")).map(
      (e) => e.path,
    );
    expect(new Set(open)).toEqual(new Set(PUBLIC_API_PATHS));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        const bearer = JSON.stringify(op.security) === JSON.stringify([{ bearerAuth: [] }]);
        expect({ path, bearer }).toEqual({
          path,
          bearer: path.startsWith("/api/v1/") && !PUBLIC_API_PATHS.has(path),
        });
        // An authenticated endpoint documents its 401 and 429 problems.
        const responses = op.responses as Record<string, Json>;
        if (bearer) expect(Object.keys(responses)).toEqual(expect.arrayContaining(["401", "429", "500"]));
      }
    }
  });

  test("bodies and answers come from the zod schemas, not copies", async () => {
    const schemas = (doc.components as { schemas: Record<string, Json> }).schemas;
    // The request body is the same schema GET /api/v1/schema serves.
    const served = (await (await api.get("/api/v1/schema")).json()) as Json;
    const { $schema: _s, $id: _i, title: _t, description: _d, ...body } = served;
    const { title: _t2, description: _d2, ...documented } = schemas.AccessRequest ?? {};
    expect(documented).toEqual(body);
    expect(Object.keys(schemas).sort()).toEqual(
      [
        "AccessRequest",
        "Accepted",
        "Health",
        "Problem",
        "Readiness",
        "RequestStatus",
        "RevokeAccepted",
        "RequestList",
        "RequestSummary",
        "RequestEvents",
        "SearchQuery",
        "SearchResult",
        "Stats",
        "Extension",
        "Extended",
        "DeliveryList",
        "RedeliveryAccepted",
      ].sort(),
    );
  });
});

/**
 * The contract test: every example the document shows is sent to the real app (PostgreSQL and
 * Redis behind it), and the answer must have the documented status, content type and a body
 * valid against the document's own schema for that status.
 */
describe("contract: each documented example against the running app", () => {
  let api: TestApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: "https://csecbridge.test/openapi.json", components: doc.components }, "openapi");

  /** The example client (a submitter) may do what the examples ask; roles by name otherwise. */
  const policy = parsePolicyText(
    `
clients:
  tester:
    providers: [aws, azure]
    aws: { policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"], groups: [developers] }
    azure: { roles: [Reader], scope_prefixes: ["${EXAMPLE_AZURE.scope}"] }
  operator: { role: operator, providers: [aws], aws: { policy_arns: ["**"] } }
  auditor: { role: auditor }
`,
    "yaml",
    "openapi-contract.yaml",
  );
  const CLIENT_OF: Record<Role, TestClient> = {
    submitter: "tester",
    operator: "operator",
    auditor: "auditor",
  };

  /** A grant that really went through the transitions (its events and outbox rows are real). */
  async function seed(id: string, state: "active" | "revoked") {
    const payload = exampleBodies.awsManagedPolicy as unknown as RequestPayload;
    await insertRequest(api.db.sql, {
      correlationId: id,
      provider: "aws",
      action: "grant",
      client: "tester",
      payload: payload as Record<string, unknown>,
      requestHash: requestHash(payload),
      idempotencyKey: null,
      accessKey: accessKeyOf(payload),
      principal: principalOf(payload),
      ticket: null,
      requestedBy: null,
      expiresAt: null,
      durationMs: 3_600_000,
    });
    await claimForProcessing(api.db.sql, id, `contract-${id}`, 60_000);
    await markSucceeded(api.db.sql, id, {}, {});
    await api.db.sql`
      UPDATE requests SET pre_existing = false,
        revocation_status = ${state === "active" ? "SCHEDULED" : "REVOKED"},
        revoked_at = ${state === "active" ? null : new Date()}
      WHERE correlation_id = ${id}`;
  }

  /** Two deliveries of activeGrant's request.succeeded: one its endpoint took, one still retried. */
  async function seedDeliveries() {
    const sql = api.db.sql;
    const [event] = await sql<{ event_id: string }[]>`
      UPDATE webhook_outbox SET client = 'tester', dispatched_at = now()
      WHERE correlation_id = ${EXAMPLE_IDS.activeGrant} AND event_type = 'request.succeeded'
      RETURNING event_id`;
    expect(event).toBeDefined();
    await sql`
      INSERT INTO webhook_deliveries (id, event_id, correlation_id, client, event_type, endpoint_url, status,
        attempts, last_attempt_at, last_status_code, last_error, next_attempt_at, delivered_at)
      VALUES
        (${EXAMPLE_IDS.deliveredDelivery}, ${event?.event_id ?? null}, ${EXAMPLE_IDS.activeGrant}, 'tester',
         'request.succeeded', 'https://hooks.tester.example/a', 'delivered', 1, now(), 200, NULL, now(), now()),
        (${EXAMPLE_IDS.pendingDelivery}, ${event?.event_id ?? null}, ${EXAMPLE_IDS.activeGrant}, 'tester',
         'request.succeeded', 'https://hooks.tester.example/b', 'pending', 2, now(), 503, 'HTTP 503',
         now() + interval '30 seconds', NULL)`;
  }

  beforeAll(async () => {
    api = await createTestApi({ policy });
    await seed(EXAMPLE_IDS.activeGrant, "active");
    await seed(EXAMPLE_IDS.revocableGrant, "active");
    await seed(EXAMPLE_IDS.endedGrant, "revoked");
    await seed(EXAMPLE_IDS.extendableGrant, "active");
    await seedDeliveries();
  });
  afterAll(async () => {
    await api?.close();
  });

  const cases = ENDPOINTS.flatMap((e) => e.examples.map((x) => ({ e, x })));
  test.each(
    cases.map((c) => [`${c.e.method.toUpperCase()} ${c.e.path} · ${c.x.name} → ${c.x.status}`, c] as const),
  )("%s", async (_name, { e, x }) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(x.query ?? {})) for (const item of [v].flat()) query.append(k, item);
    const path =
      e.path.replace(/\{([A-Za-z_]+)\}/g, (_m, p: string) => encodeURIComponent(x.path?.[p] ?? "")) +
      (query.size > 0 ? `?${query}` : "");
    const headers: Record<string, string> = {
      ...(x.anonymous ? {} : auth(CLIENT_OF[x.role ?? "submitter"])),
      ...(x.headers ?? {}),
    };
    let body: string | undefined;
    if (x.body !== undefined) body = JSON.stringify(x.body);
    if (x.rawBody !== undefined) body = x.rawBody;
    if (body !== undefined) headers["content-type"] = e.body?.contentType ?? "application/json";
    const res = await api.app.request(path, {
      method: e.method.toUpperCase(),
      headers,
      ...(body ? { body } : {}),
    });
    expect(res.status).toBe(x.status);

    // The example is in the document as it was sent.
    const operation = doc.paths[e.path]?.[e.method] as Json;
    const responses = operation.responses as Record<string, { content?: Record<string, { schema: Json }> }>;
    const documented = responses[String(x.status)];
    expect(documented, `status ${x.status} is documented`).toBeDefined();
    const content = Object.entries(documented?.content ?? {});
    if (content.length === 0) return;
    // The answer's media type is one the document gives for this status (the export has two).
    const contentType = (res.headers.get("content-type") ?? "").split(";")[0] ?? "";
    const [mediaType, media] = content.find(([t]) => t.split(";")[0] === contentType) ?? [];
    expect({ contentType, documented: mediaType !== undefined }).toEqual({ contentType, documented: true });
    if (mediaType === undefined || media === undefined) return;
    const text = await res.text();
    // NDJSON: the schema is that of each line, and every line is checked (there is at least one).
    const sequential = mediaType.startsWith("application/x-ndjson");
    const lines = sequential ? text.split("\n").filter((l) => l !== "") : [];
    if (sequential) expect(lines.length).toBeGreaterThan(0);
    const values: unknown[] = sequential
      ? lines.map((l) => JSON.parse(l) as unknown)
      : [mediaType.includes("json") ? (JSON.parse(text) as unknown) : text];
    // The document's own refs (#/components/...) point into the document registered above.
    const schema = JSON.parse(
      JSON.stringify(media.schema).replaceAll(
        '"#/components/',
        '"https://csecbridge.test/openapi.json#/components/',
      ),
    ) as Json;
    const validate = ajv.compile(schema);
    for (const value of values) {
      const ok = validate(value);
      expect({ ok, errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
    }
  });

  test("every example was sent, and the examples cover every documented success status", () => {
    for (const e of ENDPOINTS) {
      const successes = Object.keys(e.responses).filter((s) => Number(s) < 300);
      for (const s of successes)
        expect(
          e.examples.some((x) => String(x.status) === s),
          `${e.path} ${s}`,
        ).toBe(true);
    }
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });
});

describe("the API reference page", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  test("is served without a token, under a CSP that allows only this server", async () => {
    const res = await api.app.request("/api/v1/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const html = await res.text();
    // Every script is ours, by a relative URL (works behind a path prefix), none inline.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1] ?? "")?.[1])).toEqual([
      "docs/scalar.js",
      "docs/init.js",
    ]);
    expect(scripts.every((m) => (m[2] ?? "").trim() === "")).toBe(true);
  });

  test("the embedded Scalar bundle and the start-up script load from the API", async () => {
    const bundle = await api.app.request("/api/v1/docs/scalar.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toStartWith("text/javascript");
    const js = await bundle.text();
    expect(js.length).toBeGreaterThan(1_000_000);
    expect(js).toContain("createApiReference");
    const init = await (await api.app.request("/api/v1/docs/init.js")).text();
    expect(init).toContain('"openapi.json"');
    expect(init).toContain("withDefaultFonts: false"); // no font download from the internet
    expect(init).toContain("telemetry: false");
  });

  test("everything else under /api/v1 still needs a token", async () => {
    for (const path of ["/api/v1/docs/", "/api/v1/openapi.json/x", "/api/v1/schema", "/api/v1/docsx"]) {
      expect((await api.app.request(path)).status, path).toBe(401);
    }
  });
});
