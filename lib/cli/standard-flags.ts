import { z } from "zod";
import { VERSION } from "../version.ts";

export interface ProgramInfo {
  /** csecbridge-api, csecbridge-worker, ... */
  name: string;
  /** One line: what the program is. */
  summary: string;
  /** Usage lines, e.g. "csecbridge-worker --provider aws|azure". */
  usage: readonly string[];
  /** The process's config schema (environment variables), listed with their defaults. */
  env: z.ZodRawShape;
}

function defaultOf(schema: z.ZodType): string | undefined {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) {
    const v: unknown = schema.def.defaultValue;
    return typeof v === "string" ? JSON.stringify(v) : String(v);
  }
  return undefined;
}

/** The --help text: usage, then every setting the process reads, with its default. */
export function helpText(info: ProgramInfo): string {
  const names = Object.keys(info.env).sort();
  const width = Math.max(...names.map((n) => n.length));
  const settings = names.map((n) => {
    const schema = info.env[n];
    const d = schema === undefined ? undefined : defaultOf(schema as z.ZodType);
    const optional = schema instanceof z.ZodOptional;
    return `  ${n.padEnd(width)}  ${d !== undefined ? `default ${d}` : optional ? "optional" : "required"}`;
  });
  return [
    `${info.name} ${VERSION}: ${info.summary}`,
    "",
    "Usage:",
    ...info.usage.map((u) => `  ${u}`),
    `  ${info.name} --help | --version`,
    "",
    "Settings (environment variables; an invalid one stops the start with one line naming it):",
    ...settings,
    "",
  ].join("\n");
}

/**
 * Handles --help and --version, which every binary answers before reading any setting. Returns
 * true when one was given and printed (the caller exits 0).
 */
export function answerStandardFlags(argv: readonly string[], info: ProgramInfo): boolean {
  const args = argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(helpText(info));
    return true;
  }
  if (args.includes("--version")) {
    process.stdout.write(`${info.name} ${VERSION}\n`);
    return true;
  }
  return false;
}
