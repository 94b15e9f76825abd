// A Stryker ignore-plugin: mutants inside a `log.debug/info/warn/trace(...)` call (or `logger.`,
// `deps.log.`, `this.log.`, `logOf().`) are reported as Ignored, not run and not counted. Those lines are read by
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
  consequent?: Node;
  alternate?: Node | null;
  body?: Node | Node[];
}

function isLogger(n: Node | undefined): boolean {
  if (n === undefined) return false;
  if (n.type === "Identifier") return LOGGERS.has(n.name ?? "");
  // logOf(): a getter of a lazily built child logger (lib/queue/process-job.ts)
  if (n.type === "CallExpression") return n.callee?.type === "Identifier" && n.callee.name === "logOf";
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

const isQuietLogStatement = (n: Node | undefined): boolean =>
  n?.type === "ExpressionStatement" && isQuietLogCall(n.expression);

/** Code whose only effect is a quiet log line: the call, its statement, a block of only such
 *  statements, an `if` whose branches only log (`if (n > 0) log.info(...)`, `else if (x) log.warn(...)
 *  else log.debug(...)`), and an arrow that only logs (`.catch((err) => log.debug(...))`). */
export function onlyLogs(n: Node | undefined): boolean {
  if (n === undefined || n === null) return false;
  if (isQuietLogCall(n) || isQuietLogStatement(n)) return true;
  if (n.type === "BlockStatement")
    return Array.isArray(n.body) && n.body.length > 0 && n.body.every(onlyLogs);
  if (n.type === "IfStatement") {
    return onlyLogs(n.consequent) && ((n.alternate ?? null) === null || onlyLogs(n.alternate ?? undefined));
  }
  if (n.type === "ArrowFunctionExpression") return !Array.isArray(n.body) && onlyLogs(n.body);
  return false;
}

export const logTextIgnorer = {
  shouldIgnore(path: { node: Node }): string | undefined {
    // Emptying a block that only logs (a catch that logs and goes on) removes the line and nothing
    // else: the error is still not thrown. So such blocks are log text too.
    if (onlyLogs(path.node)) {
      return "log text (debug/info/warn): read by people, not by programs";
    }
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "log-text", logTextIgnorer)];
