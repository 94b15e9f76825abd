import type { Redis } from "ioredis";

export type ScriptArg = string | number;
export type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Named Lua scripts, registered with defineCommand on a connection's first use (once per
 * connection) and called by name. ioredis sends EVALSHA and falls back to EVAL after NOSCRIPT (a
 * restarted Redis), and applies the connection's keyPrefix to every KEYS entry. Each entry is
 * [lua text, number of KEYS (undefined: the caller passes it first)]; the .lua files are imported
 * as text so a `bun build --compile` binary embeds them. Names are global on a connection: give
 * each family its own prefix (q…, rl…, cb…, wh…).
 */
export function defineScripts<const S extends Record<string, readonly [string, number | undefined]>>(
  spec: S,
): (redis: Redis) => Record<keyof S, ScriptFn> {
  const registered = new WeakMap<Redis, Record<keyof S, ScriptFn>>();
  return (redis) => {
    const known = registered.get(redis);
    if (known) return known;
    const byName = redis as unknown as Record<string, ScriptFn | undefined>;
    const scripts = {} as Record<keyof S, ScriptFn>;
    for (const [name, [lua, numberOfKeys]] of Object.entries(spec)) {
      redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
      const fn = byName[name];
      if (!fn) throw new Error(`defineCommand did not register ${name}`);
      scripts[name as keyof S] = (...args) => fn.apply(redis, args);
    }
    registered.set(redis, scripts);
    return scripts;
  };
}
