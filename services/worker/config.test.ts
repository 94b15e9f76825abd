import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../lib/config/env.ts";
import { loadWorkerConfig } from "./config.ts";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const azureEnv = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" };

describe("the worker's call budget settings", () => {
  test("on by default at 10 calls/s, burst two seconds' worth, waiting at most 10 s", () => {
    expect(loadWorkerConfig({}, ["--provider", "aws"]).callBudget).toEqual({
      callsPerSecond: 10,
      burst: 20,
      account: "default",
      maxWaitMs: 10_000,
    });
  });

  test("the account defaults to AWS_ACCOUNT_ID, or the Azure tenant; CLOUD_ACCOUNT wins", () => {
    expect(
      loadWorkerConfig({ AWS_ACCOUNT_ID: "123456789012" }, ["--provider", "aws"]).callBudget?.account,
    ).toBe("123456789012");
    expect(loadWorkerConfig(azureEnv, ["--provider", "azure"]).callBudget?.account).toBe(TENANT);
    expect(
      loadWorkerConfig({ ...azureEnv, CLOUD_ACCOUNT: "prod-tenant" }, ["--provider", "azure"]).callBudget
        ?.account,
    ).toBe("prod-tenant");
  });

  test("0 turns it off; the wait never exceeds the call's own deadline", () => {
    expect(loadWorkerConfig({ CLOUD_CALLS_PER_SECOND: "0" }, ["--provider", "aws"]).callBudget).toBeNull();
    const cfg = loadWorkerConfig(
      { CLOUD_CALLS_PER_SECOND: "2.5", CLOUD_CALL_BURST: "1", CLOUD_CALL_TIMEOUT_MS: "3000" },
      ["--provider", "aws"],
    );
    expect(cfg.callBudget).toEqual({ callsPerSecond: 2.5, burst: 1, account: "default", maxWaitMs: 3000 });
  });

  test("a bad value stops the worker at start, naming it", () => {
    for (const env of [
      { CLOUD_CALLS_PER_SECOND: "-1" },
      { CLOUD_CALL_BURST: "0" },
      { CLOUD_ACCOUNT: "a b" },
      { AWS_ACCOUNT_ID: "12345" },
    ]) {
      const name = Object.keys(env)[0] ?? "";
      expect(() => loadWorkerConfig(env, ["--provider", "aws"])).toThrow(ConfigError);
      expect(() => loadWorkerConfig(env, ["--provider", "aws"])).toThrow(name);
    }
  });
});
