import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestApi, samples, type TestApi, TOKENS, writtenState } from "../helpers/api.ts";

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { pointer: string; detail: string }[];
}

describe("POST /api/v1/requests: bad input and bad callers get a 4xx problem and write nothing", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  async function expectProblem(res: Response, status: number): Promise<ProblemBody> {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as ProblemBody;
    expect(body.status).toBe(status);
    expect(body.type).toMatch(/^https:\/\/csecbridge\.dev\/problems\//);
    expect(body.detail.length).toBeGreaterThan(0);
    return body;
  }

  const rawPost = (body: BodyInit | null, headers: Record<string, string>) =>
    Promise.resolve(api.app.request("/api/v1/requests", { method: "POST", headers, body }));

  describe("authentication", () => {
    const cases: [string, Record<string, string>][] = [
      ["no header", {}],
      ["wrong scheme", { authorization: `Basic ${btoa(`tester:${TOKENS.tester}`)}` }],
      ["wrong token", { authorization: "Bearer test-secret-0123456788" }],
      ["token of another length", { authorization: "Bearer short" }],
      ["empty bearer", { authorization: "Bearer " }],
    ];
    for (const [name, headers] of cases) {
      test(`${name} → 401, nothing written`, async () => {
        const before = await writtenState(api);
        const res = await rawPost(JSON.stringify(samples.awsManaged()), {
          "content-type": "application/json",
          ...headers,
        });
        await expectProblem(res, 401);
        expect(res.headers.get("www-authenticate")).toContain("Bearer");
        expect(await writtenState(api)).toEqual(before);
      });
    }
    test("GET without a token → 401", async () => {
      await expectProblem(await api.get(`/api/v1/requests/${crypto.randomUUID()}`, {}), 401);
    });
    test("auth comes before parsing: a bad token with a bad body is still 401", async () => {
      await expectProblem(await rawPost("{not json", { "content-type": "text/plain" }), 401);
    });
  });

  describe("parsing", () => {
    const json = { "content-type": "application/json", authorization: `Bearer ${TOKENS.tester}` };
    test("malformed JSON → 400", async () => {
      const before = await writtenState(api);
      await expectProblem(await rawPost('{"provider": "aws",', json), 400);
      expect(await writtenState(api)).toEqual(before);
    });
    test("empty body → 400", async () => {
      await expectProblem(await rawPost("", json), 400);
      await expectProblem(await rawPost(null, json), 400);
    });
    test("wrong content type → 415", async () => {
      const before = await writtenState(api);
      await expectProblem(
        await rawPost(JSON.stringify(samples.awsManaged()), { ...json, "content-type": "text/plain" }),
        415,
      );
      await expectProblem(
        await rawPost(JSON.stringify(samples.awsManaged()), { authorization: json.authorization }),
        415,
      );
      expect(await writtenState(api)).toEqual(before);
    });
    test("65 KiB body → 413", async () => {
      const before = await writtenState(api);
      const big = { ...samples.awsManaged(), justification: "x".repeat(65 * 1024) };
      await expectProblem(await rawPost(JSON.stringify(big), json), 413);
      expect(await writtenState(api)).toEqual(before);
    });
    test("a streamed body past 64 KiB without Content-Length → 413", async () => {
      const chunk = new TextEncoder().encode(`{"a":"${"y".repeat(70 * 1024)}"}`);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(chunk);
          c.close();
        },
      });
      await expectProblem(await rawPost(stream, json), 413);
    });
    test("invalid UTF-8 → 400", async () => {
      await expectProblem(await rawPost(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), json), 400);
    });
  });

  describe("validation (422, every failing path)", () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const tooFar = new Date(Date.now() + 30 * 24 * 3600_000).toISOString();
    const cases: [string, unknown, string[]][] = [
      ["a JSON array", [1, 2], ["/"]],
      ["a JSON string", JSON.stringify("grant"), ["/"]],
      ["unknown top-level field", { ...samples.awsManaged(), extra: 1 }, ["/"]],
      [
        "unknown nested field",
        { ...samples.awsManaged(), principal: { type: "user", name: "alice", admin: true } },
        ["/principal"],
      ],
      [
        "wrong types",
        { ...samples.awsManaged(), principal: { type: "user", name: 42 }, ticket: 7 },
        ["/principal/name", "/ticket"],
      ],
      ["unknown provider", { ...samples.awsManaged(), provider: "gcp" }, ["/provider"]],
      ["expiry in the past", { ...samples.azureReader(), expires_at: past }, ["/expires_at"]],
      ["expiry above the maximum", { ...samples.azureReader(), expires_at: tooFar }, ["/expires_at"]],
      ["duration above the maximum", { ...samples.awsManaged(), duration: "P8D" }, ["/duration"]],
      [
        "invalid ARN",
        {
          ...samples.awsManaged(),
          permission: { type: "managed_policy", policy_arn: "arn:aws:s3:::bucket" },
        },
        ["/permission/policy_arn"],
      ],
      ...[
        "arn:aws:iam::aws:policy/ReadOnly/../AdministratorAccess",
        "arn:aws:iam::aws:policy/./ReadOnlyAccess",
        "arn:aws:iam::aws:policy//AdministratorAccess",
      ].map((arn): [string, unknown, string[]] => [
        `ARN with a dot or empty segment (${arn.slice(24)})`,
        { ...samples.awsManaged(), permission: { type: "managed_policy", policy_arn: arn } },
        ["/permission/policy_arn"],
      ]),
      ["invalid scope", { ...samples.azureReader(), scope: "/subscriptions/not-a-guid" }, ["/scope"]],
      [
        "invalid principal UUID",
        { ...samples.azureReader(), principal: { id: "alice", type: "User" } },
        ["/principal/id"],
      ],
    ];
    for (const [name, body, pointers] of cases) {
      test(`${name} → 422 naming ${pointers.join(", ")}`, async () => {
        const before = await writtenState(api);
        const problem = await expectProblem(await api.post(body), 422);
        const got = (problem.errors ?? []).map((e) => e.pointer);
        for (const p of pointers) expect(got.some((g) => g === p || g.startsWith(p))).toBe(true);
        expect(await writtenState(api)).toEqual(before);
      });
    }

    test("deeply nested inline policy → 422 (not a crash)", async () => {
      let deep: unknown = "x";
      for (let i = 0; i < 2000; i++) deep = [deep];
      const body = {
        ...samples.awsManaged(),
        permission: {
          type: "inline_policy",
          policy_name: "p",
          document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: deep, Resource: "*" }] },
        },
      };
      const before = await writtenState(api);
      await expectProblem(await api.post(body), 422);
      expect(await writtenState(api)).toEqual(before);
    });

    test("huge inline policy → 422 (or 413 past the body limit)", async () => {
      const statements = Array.from({ length: 100 }, (_, i) => ({
        Effect: "Allow",
        Action: `s3:GetObject${i}`,
        Resource: `arn:aws:s3:::bucket-${"b".repeat(200)}/${i}`,
      }));
      const body = {
        ...samples.awsManaged(),
        permission: {
          type: "inline_policy",
          policy_name: "p",
          document: { Version: "2012-10-17", Statement: statements },
        },
      };
      await expectProblem(await api.post(body), 422);
    });

    test("all failing paths are listed, not only the first", async () => {
      const problem = await expectProblem(
        await api.post({
          provider: "aws",
          action: "grant",
          principal: { type: "user", name: "" },
          permission: { type: "managed_policy", policy_arn: "nope" },
          duration: "PT2H",
          ticket: "",
        }),
        422,
      );
      const got = [...new Set((problem.errors ?? []).map((e) => e.pointer))].sort();
      expect(got).toEqual(["/permission/policy_arn", "/principal/name", "/ticket"]);
    });

    test("bad Idempotency-Key header → 422 naming the header", async () => {
      const problem = await expectProblem(
        await api.post(samples.awsManaged(), { "idempotency-key": "a b" }),
        422,
      );
      expect(problem.errors?.[0]?.pointer).toBe("header:Idempotency-Key");
    });
  });

  describe("GET /api/v1/requests/{id}", () => {
    test("non-UUID id → 400", async () => {
      await expectProblem(await api.get("/api/v1/requests/not-a-uuid"), 400);
      await expectProblem(await api.get("/api/v1/requests/'%20OR%201=1--"), 400);
    });
    test("unknown id → 404", async () => {
      await expectProblem(await api.get(`/api/v1/requests/${crypto.randomUUID()}`), 404);
    });
    test("unknown endpoint → 404 problem", async () => {
      await expectProblem(await api.get("/api/v2/nothing"), 404);
    });
  });
});
