import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { type Policy, policySchema } from "./schema.ts";

/**
 * Reads and validates a guardrail file (.json, .yaml or .yml; format in ./schema.ts). Throws one
 * Error naming the file and every bad path, so the API refuses to start on a policy it would
 * enforce other than the operator meant.
 */
export async function loadPolicyFile(path: string): Promise<Policy> {
  const ext = extname(path).toLowerCase();
  if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") {
    throw new Error(`policy file ${path}: unsupported extension "${ext}" (use .json, .yaml or .yml)`);
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new Error(`policy file ${path}: cannot be read`, { cause });
  }
  return parsePolicyText(text, ext === ".json" ? "json" : "yaml", path);
}

/** Parses policy text already read; `source` names it in errors. */
export function parsePolicyText(text: string, format: "json" | "yaml", source: string): Policy {
  let raw: unknown;
  try {
    // JSON.parse for JSON's own syntax; then the YAML parser (JSON is YAML) for what JSON.parse
    // lets through: duplicate keys are an error in both formats (which of two rules for one
    // client would win?). The alias cap stops a "billion laughs" file from exhausting memory.
    if (format === "json") JSON.parse(text);
    raw = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100, prettyErrors: true });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`policy file ${source}: not valid ${format.toUpperCase()}: ${why}`, { cause });
  }
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    throw new Error(`policy file ${source} is invalid: ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap((i) => {
      if (i.code === "unrecognized_keys") return i.keys.map((k) => `${dotted([...i.path, k])}: unknown key`);
      if (i.code === "invalid_key")
        return [`${dotted(i.path)}: ${i.issues.map((k) => k.message).join(", ")}`];
      return [`${dotted(i.path)}: ${i.message}`];
    })
    .join("; ");
}

/** `clients.ticketing.aws.policy_arns[0]`, the way an operator reads their YAML. */
function dotted(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}
