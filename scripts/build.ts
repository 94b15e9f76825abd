// `bun run build`: one self-contained executable per service in dist/ (bun build --compile):
// dist/csecbridge-<service> for every services/<service>/main.ts (api, worker, scheduler, webhooks,
// migrate, ui, cloudsim, webhook-sink).
// Migrations, Lua scripts and the API reference bundle are imported as text or files, so they
// are embedded; the binaries need no Bun, no node_modules and no source tree.
//
//   bun run build                      minified, source map embedded (what the images ship)
//   bun run build --variant bytecode   another variant (see VARIANTS)
//   bun run build --compare            every variant of every service into a temp dir: a size table
//   bun run build --outdir DIR --only api,worker
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dir, "..");

/** Build flags per variant; `default` is what `bun run build` and the Dockerfile use. */
export const VARIANTS = {
  plain: [],
  minify: ["--minify"],
  default: ["--minify", "--sourcemap"],
  "external-map": ["--minify", "--sourcemap=external"],
  bytecode: ["--minify", "--sourcemap", "--bytecode"],
} as const satisfies Record<string, readonly string[]>;
export type Variant = keyof typeof VARIANTS;

/** Every service with a services/<name>/main.ts, ui included when it exists. */
export function services(): string[] {
  return readdirSync(join(root, "services"))
    .filter((name) => {
      try {
        return statSync(join(root, "services", name, "main.ts")).isFile();
      } catch {
        return false;
      }
    })
    .sort();
}

/** The commit a binary is built from: BUILD_COMMIT (an image build has no .git), else git's HEAD. */
async function commit(): Promise<string> {
  const given = process.env.BUILD_COMMIT?.trim();
  if (given) return given.slice(0, 12);
  try {
    const proc = Bun.spawn(["git", "rev-parse", "--short=12", "HEAD"], {
      cwd: root,
      stdout: "pipe",
      stderr: "ignore",
    });
    const out = (await new Response(proc.stdout).text()).trim();
    return (await proc.exited) === 0 ? out : "";
  } catch {
    return "";
  }
}

export interface Built {
  service: string;
  file: string;
  bytes: number;
  seconds: number;
}

/** Compiles each service into `outdir`/csecbridge-<service>; throws naming the one that failed. */
export async function build(opts: {
  outdir: string;
  variant?: Variant;
  only?: readonly string[];
}): Promise<Built[]> {
  const flags = VARIANTS[opts.variant ?? "default"];
  const sha = await commit();
  mkdirSync(opts.outdir, { recursive: true });
  const out: Built[] = [];
  for (const service of opts.only ?? services()) {
    const file = join(opts.outdir, `csecbridge-${service}`);
    const started = performance.now();
    const proc = Bun.spawn(
      [
        process.execPath,
        "build",
        "--compile",
        ...flags,
        "--define",
        `CSECBRIDGE_BUILD_COMMIT=${JSON.stringify(sha)}`,
        join("services", service, "main.ts"),
        "--outfile",
        file,
      ],
      { cwd: root, stdout: "pipe", stderr: "pipe" },
    );
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    if (code !== 0) throw new Error(`building ${service} failed (${code}):\n${stderr || stdout}`);
    out.push({ service, file, bytes: statSync(file).size, seconds: (performance.now() - started) / 1000 });
  }
  return out;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function startupMs(file: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await Bun.spawn([file, "--version"], { stdout: "ignore", stderr: "ignore", env: {} }).exited;
    times.push(performance.now() - t);
  }
  return Math.min(...times);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      outdir: { type: "string", default: join(root, "dist") },
      variant: { type: "string", default: "default" },
      only: { type: "string" },
      compare: { type: "boolean", default: false },
    },
  });
  const only = values.only?.split(",").map((s) => s.trim());
  if (!values.compare) {
    if (!(values.variant in VARIANTS))
      throw new Error(`--variant: one of ${Object.keys(VARIANTS).join(", ")}`);
    const built = await build({
      outdir: values.outdir,
      variant: values.variant as Variant,
      ...(only ? { only } : {}),
    });
    for (const b of built)
      console.log(`${b.file.padEnd(48)} ${mib(b.bytes).padStart(10)}  (${b.seconds.toFixed(1)} s)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "csecbridge-build-"));
  try {
    const rows: string[][] = [];
    for (const [variant, flags] of Object.entries(VARIANTS)) {
      const built = await build({
        outdir: join(dir, variant),
        variant: variant as Variant,
        ...(only ? { only } : {}),
      });
      const start = await startupMs(built[0]?.file ?? "");
      rows.push([
        variant,
        flags.join(" ") || "(none)",
        ...built.map((b) => mib(b.bytes)),
        `${start.toFixed(0)} ms`,
      ]);
      rmSync(join(dir, variant), { recursive: true, force: true });
    }
    const names = only ?? services();
    console.log(`| variant | flags | ${names.join(" | ")} | start (${names[0]} --version) |`);
    console.log(`| --- | --- | ${names.map(() => "---:").join(" | ")} | ---: |`);
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(`build: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
