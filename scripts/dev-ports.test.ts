import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { anyFreePort, choosePorts } from "./dev-ports.ts";

// Two `bun run dev` stacks started at the same moment must not both take the usual ports: each
// binds them seconds after choosing. Real processes, as two terminals (or the dev-stacks test) run
// them.
describe("choosePorts", () => {
  const claims = mkdtempSync(join(tmpdir(), "csb-dev-claims-"));
  const children: ReturnType<typeof Bun.spawn>[] = [];
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
    rmSync(claims, { recursive: true, force: true });
  });

  /** A process that chooses two ports with the given usual ones and holds its claim until killed. */
  async function chooser(
    usual: [number, number],
  ): Promise<{ proc: ReturnType<typeof Bun.spawn>; ports: number[] }> {
    const code = `
      import { choosePorts } from ${JSON.stringify(join(import.meta.dir, "dev-ports.ts"))};
      const { ports } = await choosePorts(
        { a: { setting: "A_PORT", usual: ${usual[0]} }, b: { setting: "B_PORT", usual: ${usual[1]} } },
        {},
        ${JSON.stringify(claims)},
      );
      console.log(JSON.stringify([ports.a, ports.b]));
      setInterval(() => {}, 1000);`;
    const proc = Bun.spawn(["bun", "-e", code], { stdout: "pipe", stderr: "inherit" });
    children.push(proc);
    const reader = proc.stdout.getReader();
    let text = "";
    const deadline = Date.now() + 20_000;
    while (!text.includes("\n")) {
      if (Date.now() > deadline) throw new Error("the chooser did not answer within 20 s");
      const { value, done } = await reader.read();
      if (done) throw new Error(`the chooser exited: ${text}`);
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    return { proc, ports: JSON.parse(text) as number[] };
  }

  test("stacks choosing together get disjoint ports; one gets the usual ones", async () => {
    const usual: [number, number] = [anyFreePort(), anyFreePort()];
    const [x, y] = await Promise.all([chooser(usual), chooser(usual)]);
    const all = [...(x?.ports ?? []), ...(y?.ports ?? [])];
    expect(new Set(all).size).toBe(4);
    expect([x?.ports, y?.ports]).toContainEqual(usual);
  });

  test("the claim of a stack that ended is not in the way", async () => {
    const usual: [number, number] = [anyFreePort(), anyFreePort()];
    const first = await chooser(usual);
    expect(first.ports).toEqual(usual);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    expect((await chooser(usual)).ports).toEqual(usual);
  });

  test("a named port is used as is, 0 means any free one, and a bad one is refused by name", async () => {
    const named = anyFreePort();
    const { ports, release } = await choosePorts(
      { api: { setting: "PORT", usual: 1 }, other: { setting: "OTHER_PORT", usual: named } },
      { PORT: String(named), OTHER_PORT: "0" },
      claims,
    );
    release();
    expect(ports.api).toBe(named);
    expect(ports.other).not.toBe(named);
    expect(ports.other).toBeGreaterThan(0);
    await expect(
      choosePorts({ api: { setting: "PORT", usual: 1 } }, { PORT: "80x" }, claims),
    ).rejects.toThrow("PORT: not a port: 80x");
  });
});
