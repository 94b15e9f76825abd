// A Stryker ignore-plugin: mutants inside a `log.debug/info/warn/trace(...)` call (or `logger.`,
// `deps.log.`, `this.log.`) are reported as Ignored, not run and not counted. Those lines are read by
// people, and no test should pin their wording or their fields. `log.error` and `log.fatal` stay
// counted: alerts and on-call read them, so what they say is tested like any other output.
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

const QUIET_LEVELS = new Set(["trace", "debug", "info", "warn"]);
const LOGGERS = new Set(["log", "logger"]);

/** The part of Babel's node shape this plugin reads (Stryker passes Babel NodePaths). */
interface Node {
  type: string;
  name?: string;
  computed?: boolean;
  object?: Node;
  property?: Node;
  callee?: Node;
  expression?: Node;
}

function isLogger(n: Node | undefined): boolean {
  if (n === undefined) return false;
  if (n.type === "Identifier") return LOGGERS.has(n.name ?? "");
  // deps.log, this.log, ctx.logger
  return n.type === "MemberExpression" && n.computed !== true && isLogger(n.property);
}

/** `log.warn(...)` and the like: a call of a quiet level on something named log or logger. */
export function isQuietLogCall(n: Node | undefined): boolean {
  if (n?.type !== "CallExpression") return false;
  const callee = n.callee;
  return (
    callee?.type === "MemberExpression" &&
    callee.computed !== true &&
    callee.property?.type === "Identifier" &&
    QUIET_LEVELS.has(callee.property.name ?? "") &&
    isLogger(callee.object)
  );
}

export const logTextIgnorer = {
  shouldIgnore(path: { node: Node }): string | undefined {
    const n = path.node;
    if (isQuietLogCall(n) || (n.type === "ExpressionStatement" && isQuietLogCall(n.expression))) {
      return "log text (debug/info/warn): read by people, not by programs";
    }
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "log-text", logTextIgnorer)];
