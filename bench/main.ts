// `bun run bench <name>`: runs one benchmark. Each is imported only when asked for, so one
// benchmark's dependencies never load for another.
const benches: Record<string, () => Promise<unknown>> = {
  queue: () => import("./queue.ts").then((m) => m.runQueueBench()),
  api: () => import("./api.ts").then((m) => m.runApiBench()),
  e2e: () => import("./e2e.ts").then((m) => m.runE2eBench()),
  list: () => import("./list.ts").then((m) => m.runListBench()),
  webhooks: () => import("./webhooks.ts").then((m) => m.runWebhooksBench()),
  chaos: () => import("./chaos.ts").then((m) => m.runChaosBench()),
};

const chosen = process.argv[2] ?? "";
const run = benches[chosen];
if (!run) {
  console.error(`usage: bun run bench <${Object.keys(benches).join("|")}>`);
  process.exit(2);
}
await run();
process.exit(process.exitCode ?? 0);

export {};
