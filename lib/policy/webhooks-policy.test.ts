import { describe, expect, test } from "bun:test";
import { parsePolicyText } from "./load.ts";

// The policy file's webhooks block: validated strictly, like every guardrail.
const file = (webhooks: string) => `
clients:
  ticketing:
    providers: [aws]
    webhooks:
${webhooks
  .trim()
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
`;
const parse = (text: string) => () => parsePolicyText(text, "yaml", "p.yaml");

describe("webhooks in the policy file", () => {
  test("a full block loads", () => {
    const p = parsePolicyText(
      file(`
endpoints: [{ url: "https://a.example/hooks", max_in_flight: 2 }, { url: "https://b.example/", events: [grant.revoked] }]
events: [request.succeeded, grant.revoked, grant.expiring]
expiring_lead_time: PT15M
secrets: [{ env: TICKETING_WEBHOOK_SECRET }, { env: TICKETING_WEBHOOK_SECRET_OLD }]`),
      "yaml",
      "p.yaml",
    );
    expect(p.clients.ticketing?.webhooks?.endpoints).toHaveLength(2);
  });

  test.each([
    [
      "an unknown key",
      `endpoints: [{ url: "https://a.example/" }]\nevents: [request.succeeded]\nsecrets: [{ env: S }]\nretries: 3`,
      "retries: unknown key",
    ],
    [
      "an unknown event",
      `endpoints: [{ url: "https://a.example/" }]\nevents: [request.done]\nsecrets: [{ env: S }]`,
      "events[0]",
    ],
    [
      "grant.expiring without a lead time",
      `endpoints: [{ url: "https://a.example/" }]\nevents: [grant.expiring]\nsecrets: [{ env: S }]`,
      "expiring_lead_time",
    ],
    [
      "a URL with credentials",
      `endpoints: [{ url: "https://u:p@a.example/" }]\nevents: [grant.revoked]\nsecrets: [{ env: S }]`,
      "credentials",
    ],
    [
      "another scheme",
      `endpoints: [{ url: "ftp://a.example/" }]\nevents: [grant.revoked]\nsecrets: [{ env: S }]`,
      "endpoints[0].url",
    ],
    [
      "a URL twice",
      `endpoints: [{ url: "https://a.example/" }, { url: "https://A.example/" }]\nevents: [grant.revoked]\nsecrets: [{ env: S }]`,
      "twice",
    ],
    [
      "a secret written in the file",
      `endpoints: [{ url: "https://a.example/" }]\nevents: [grant.revoked]\nsecrets: ["whsec_abc"]`,
      "secrets[0]",
    ],
    [
      "no secret",
      `endpoints: [{ url: "https://a.example/" }]\nevents: [grant.revoked]\nsecrets: []`,
      "secrets",
    ],
  ])("%s is refused, naming the path", (_what, block, expected) => {
    expect(parse(file(block))).toThrow(expected);
  });
});
