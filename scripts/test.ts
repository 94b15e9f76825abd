// `bun run test`: checks PostgreSQL and Redis are reachable (with a clear message if not), runs
// `bun test` over the whole suite, and ends with one plain "N passed, N failed" line.
import { testEnv } from "../tests/helpers/env.ts";

async function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  try {
    const s = await Bun.connect({
      hostname: u.hostname || "127.0.0.1",
      port: Number(u.port || defaultPort),
      socket: { data() {} },
    });
    s.end();
    return true;
  } catch {
    return false;
  }
}

const { adminUrl, redisUrl } = testEnv();
for (const [what, url, port] of [
  ["PostgreSQL", adminUrl, 5432],
  ["Redis", redisUrl, 6379],
] as const) {
  if (!(await reachable(url, port))) {
    console.error(
      `${what} is not reachable at ${url}. Start it (\`bun run dev\` starts both) or set TEST_DATABASE_URL / TEST_REDIS_URL.`,
    );
    process.exit(1);
  }
}

const proc = Bun.spawn(["bun", "test", "--timeout", "60000", ...process.argv.slice(2)], {
  stdout: "inherit",
  stderr: "pipe",
});
let tail = "";
const dec = new TextDecoder();
for await (const chunk of proc.stderr) {
  const text = dec.decode(chunk);
  process.stderr.write(text);
  tail = (tail + text).slice(-4000);
}
const code = await proc.exited;
const pass = Number(/(\d+) pass/.exec(tail)?.[1] ?? 0);
const fail = Number(/(\d+) fail/.exec(tail)?.[1] ?? 0);
console.log(`${pass} passed, ${fail} failed`);
process.exit(code !== 0 ? code : pass === 0 ? 1 : 0);
