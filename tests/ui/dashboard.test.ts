import { afterAll, beforeAll, expect, test } from "bun:test";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import { serveOptions } from "../../lib/http/serve.ts";
import { parsePolicyText } from "../../lib/policy/load.ts";
import { createTestApi, type TestApi, TOKENS } from "../helpers/api.ts";
import { type Browser, launchBrowser } from "../helpers/browser.ts";
import { seedRequests } from "../helpers/seed-requests.ts";
import { type Service, spawnService, waitUntil } from "../helpers/spawn-service.ts";

// The dashboard as a person uses it: the real API (in this process, on a port) with seeded rows,
// the real services/ui process in front of it, and Debian's Chromium. Screenshots land in
// artifacts/ui/.
const POLICY = parsePolicyText("clients:\n  operator:\n    role: operator\n", "yaml", "dashboard.yaml");
const DAY = 86_400_000;

let api: TestApi;
let apiServer: ReturnType<typeof Bun.serve>;
let uiService: Service;
let uiUrl = "";
let browser: Browser;
let page: Page;
const id: Record<string, string> = {};
let yesterday = "";

beforeAll(async () => {
  api = await createTestApi({ policy: POLICY });
  apiServer = Bun.serve(serveOptions(api.app, { port: 0, hostname: "127.0.0.1" }));
  const now = Date.now();
  const startOfToday = Math.floor(now / DAY) * DAY; // the browser runs in UTC
  yesterday = new Date(startOfToday - DAY).toISOString().slice(0, 10);
  const rows = {
    failedAwsY1: {
      status: "FAILED",
      receivedAt: new Date(startOfToday - DAY + 9 * 3600_000).toISOString(),
      principal: "user/alice",
      ticket: "CHG-4711",
      errorDetails: { code: "NoSuchEntity", message: "The user with name alice cannot be found." },
    },
    failedAwsY2: {
      status: "FAILED",
      receivedAt: new Date(startOfToday - DAY + 15 * 3600_000).toISOString(),
      principal: "role/deployer",
      errorDetails: { code: "AccessDenied", message: "not authorized" },
    },
    failedAzureY: {
      status: "FAILED",
      provider: "azure",
      receivedAt: new Date(startOfToday - DAY + 12 * 3600_000).toISOString(),
    },
    okAwsY: { status: "SUCCESS", receivedAt: new Date(startOfToday - DAY + 10 * 3600_000).toISOString() },
    okAwsToday: {
      status: "SUCCESS",
      receivedAt: new Date(now - 60_000).toISOString(),
      revocationStatus: "SCHEDULED",
      expiresAt: 20 * 60_000,
    },
    failedAwsOlder: { status: "FAILED", receivedAt: new Date(startOfToday - 3 * DAY).toISOString() },
    revokedToday: {
      status: "SUCCESS",
      receivedAt: new Date(now - 2 * 3600_000).toISOString(),
      revocationStatus: "REVOKED",
      expiresAt: -3600_000,
      revokedAt: -3600_000 + 1500,
    },
  } as const;
  const made = await seedRequests(api.db.sql, Object.values(rows), now);
  Object.keys(rows).forEach((k, i) => {
    id[k] = made[i] ?? "";
  });
  // A timeline for the lookup: received, claimed, obligation, the cloud's refusal.
  const cid = id.failedAwsY1 ?? "";
  await api.db
    .sql`INSERT INTO request_events (correlation_id, at, kind, from_status, to_status, detail) VALUES
    (${cid}, now() - interval '5 seconds', 'RECEIVED', NULL, 'PENDING', ${api.db.sql.json({ by: "tester" })}),
    (${cid}, now() - interval '4 seconds', 'STATUS', 'PENDING', 'PROCESSING', NULL),
    (${cid}, now() - interval '3 seconds', 'OBLIGATION_OPENED', NULL, NULL, ${api.db.sql.json({ pre_existing: false })}),
    (${cid}, now() - interval '2 seconds', 'STATUS', 'PROCESSING', 'FAILED',
     ${api.db.sql.json({ code: "NoSuchEntity", message: "The user with name alice cannot be found." })})`;

  uiService = spawnService("services/ui/main.ts", {
    PORT: "0",
    HOST: "127.0.0.1",
    API_URL: `http://127.0.0.1:${apiServer.port}`,
    LOG_LEVEL: "info",
    METRICS_PORT: "0",
  });
  await waitUntil(async () => /"csecbridge-ui listening"/.test(uiService.output()), "the UI service", 30_000);
  const port = /"port":(\d+)/.exec(uiService.output())?.[1];
  uiUrl = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
  page = await browser.context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await uiService?.stop();
  await apiServer?.stop(true);
  await api?.close();
});

const rowLinks = () => page.getByRole("table").getByRole("link", { name: /^Request / });
async function expectRows(names: string[]) {
  const want = JSON.stringify(names.map((n) => `Request ${id[n]}`).sort());
  let last = "";
  const labels = async () =>
    // One snapshot of the table (a re-render between reads cannot leave a locator waiting).
    JSON.stringify(
      (await rowLinks().evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")))).sort(),
    );
  try {
    await waitUntil(
      async () => {
        last = await labels().catch((e: Error) => e.message);
        return last === want;
      },
      `rows ${names.join(", ")}`,
      10_000,
    );
  } catch (err) {
    await page.screenshot({ path: browser.shot("failure"), fullPage: true }).catch(() => {});
    throw new Error(`${(err as Error).message}; table shows ${last}`);
  }
}

async function expectNoSeriousA11yViolations(where: string) {
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (serious.length > 0)
    console.error(where, JSON.stringify(serious.map((v) => [v.id, v.nodes.map((n) => n.target)])));
  expect(serious.map((v) => v.id)).toEqual([]);
}

test("sign in with an API token; a wrong one is refused", async () => {
  await page.goto(uiUrl);
  await page.getByLabel("API token").fill("wrong-token-000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "not accepted" }).waitFor();
  await page.getByLabel("API token").fill(TOKENS.operator);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Requests" }).waitFor();
  expect(await page.evaluate(() => sessionStorage.getItem("csecbridge.token"))).toBe(TOKENS.operator);
  await expectRows(Object.keys(id));
}, 30_000);

test("the charts render with data", async () => {
  const chart = page.getByRole("img", { name: /^Requests over 24 hours/ });
  await chart.waitFor();
  expect(await chart.getAttribute("aria-label")).toMatch(/\d+ requests: /);
  // uPlot drew on its canvas: count the pixels that are not background.
  for (const name of [/^Requests over/, /^Revocations coming due/, /^Revocation lateness/, /^Queue depth/]) {
    const painted = await page
      .getByRole("img", { name })
      .locator("canvas")
      .evaluate((c: HTMLCanvasElement) => {
        const px = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) n++;
        return n;
      });
    expect(painted).toBeGreaterThan(200);
  }
  await page.getByText("Revocations due next hour").waitFor();
  await page.screenshot({ path: browser.shot("overview"), fullPage: true });
  await expectNoSeriousA11yViolations("overview");
}, 30_000);

test("look up a correlation id and see its timeline", async () => {
  await page.getByLabel("Correlation id").fill(id.failedAwsY1 ?? "");
  await page.getByRole("button", { name: "Look up" }).click();
  await page.getByRole("heading", { name: `Request ${id.failedAwsY1}` }).waitFor();
  const timeline = page.getByRole("list", { name: "Timeline" });
  await timeline.getByText("Failed").waitFor();
  expect(await timeline.getByRole("listitem").allTextContents()).toEqual([
    expect.stringContaining("Received"),
    expect.stringContaining("Claimed by a worker"),
    expect.stringContaining("Revocation scheduled, cloud call next"),
    expect.stringContaining("NoSuchEntity: The user with name alice cannot be found."),
  ]);
  await page.getByText("FAILED").first().waitFor();
  await page.screenshot({ path: browser.shot("request-timeline"), fullPage: true });
  await expectNoSeriousA11yViolations("request page");
  await page.getByRole("link", { name: "← All requests" }).click();
  await page.getByRole("heading", { name: "Requests" }).waitFor();
}, 30_000);

test("filter the table; the filters are in the URL", async () => {
  await page.getByText("Filters", { exact: true }).click();
  await page.getByRole("group", { name: "Status" }).getByLabel("FAILED").check();
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expectRows(["failedAwsY1", "failedAwsY2", "failedAzureY", "failedAwsOlder"]);
  expect(new URL(page.url()).searchParams.getAll("status")).toEqual(["FAILED"]);
  // The same URL opened fresh shows the same view.
  await page.goto(page.url());
  await expectRows(["failedAwsY1", "failedAwsY2", "failedAzureY", "failedAwsOlder"]);
}, 30_000);

test("plain-English search: exactly the matching rows and the chips; remove a chip", async () => {
  await page.getByRole("searchbox", { name: "Ask in plain English" }).fill("failed aws requests yesterday");
  await page.getByRole("button", { name: "Search" }).click();
  const chips = page.getByRole("region", { name: "Active filters" });
  // The page already shows "status = FAILED" (the last test's filter): wait for the search's own.
  await chips.getByText(`received ${yesterday} 00:00 – 24:00 UTC`).waitFor();
  expect(await chips.getByRole("listitem").allTextContents()).toEqual([
    expect.stringContaining("status = FAILED"),
    expect.stringContaining("provider = aws"),
    expect.stringContaining(`received ${yesterday} 00:00 – 24:00 UTC`),
  ]);
  await expectRows(["failedAwsY1", "failedAwsY2"]);
  await page.screenshot({ path: browser.shot("search-chips"), fullPage: true });

  await chips.getByRole("link", { name: "Remove filter: provider = aws" }).click();
  await expectRows(["failedAwsY1", "failedAwsY2", "failedAzureY"]);
  expect(new URL(page.url()).searchParams.has("provider")).toBe(false);
  // Back: the chip and its rows again.
  await page.goBack();
  await expectRows(["failedAwsY1", "failedAwsY2"]);
  await chips.getByText("provider = aws").waitFor();
  await expectNoSeriousA11yViolations("search");
}, 30_000);

test("words the parser does not know are shown; an empty result says so", async () => {
  await page.getByRole("searchbox", { name: "Ask in plain English" }).fill("falied azure tomorrow");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Not understood (ignored):").waitFor();
  expect(await page.getByText("Not understood (ignored):").textContent()).toContain("falied");
  await page.getByText("No requests match these filters.").waitFor();
}, 30_000);

test("on a phone: the same page, readable", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${uiUrl}/?status=FAILED`);
  await expectRows(["failedAwsY1", "failedAwsY2", "failedAzureY", "failedAwsOlder"]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0); // only the table scrolls sideways, inside its box
  await page.screenshot({ path: browser.shot("phone"), fullPage: true });
  await page.setViewportSize({ width: 1366, height: 900 });
}, 30_000);
