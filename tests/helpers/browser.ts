import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { testEnv } from "./env.ts";

/** Screenshots of the browser tests (gitignored). */
export const ARTIFACTS = resolve(import.meta.dir, "../../artifacts/ui");

const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  shot(name: string): string;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile directory, in UTC, removed on close. */
export async function launchBrowser(opts: { width?: number; height?: number } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "csb-chromium-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    // Debian's Chromium (`apt-get install chromium`; .ci/run installs it when missing).
    executablePath: testEnv().chromium,
    headless: true,
    args: ARGS,
    timezoneId: "UTC",
    locale: "en-GB",
    viewport: { width: opts.width ?? 1366, height: opts.height ?? 900 },
  });
  return {
    context,
    shot: (name) => join(ARTIFACTS, `${name}.png`),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
