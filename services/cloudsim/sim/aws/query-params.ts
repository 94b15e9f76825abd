import { IamError } from "./iam-error.ts";

interface ParamSpec {
  min: number;
  max: number;
  pattern: RegExp;
  /** Shown in ValidationError messages, like IAM's own `Member must satisfy regular expression pattern: …`. */
  patternText: string;
}

const IAM_NAME = { pattern: /^[\w+=,.@-]+$/, patternText: "[\\w+=,.@-]+" };
const DOCUMENT = {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IAM's documented pattern admits tab, LF and CR
  pattern: /^[\u0009\u000A\u000D\u0020-\u00FF]+$/,
  patternText: "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
};

/** Constraints from the IAM API reference for every parameter the simulator reads. */
export const PARAM_SPECS = {
  UserName: { min: 1, max: 64, ...IAM_NAME },
  RoleName: { min: 1, max: 64, ...IAM_NAME },
  GroupName: { min: 1, max: 128, ...IAM_NAME },
  PolicyName: { min: 1, max: 128, ...IAM_NAME },
  PolicyArn: { min: 20, max: 2048, pattern: /^[\s\S]+$/, patternText: ".+" },
  PolicyDocument: { min: 1, max: 131_072, ...DOCUMENT },
  AssumeRolePolicyDocument: { min: 1, max: 131_072, ...DOCUMENT },
  Path: {
    min: 1,
    max: 512,
    pattern: /^(\/|\/[\u0021-\u007E]+\/)$/,
    patternText: "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
  },
  PathPrefix: { min: 1, max: 512, pattern: /^\/[\u0021-\u007E]*$/, patternText: "\\u002F[\\u0021-\\u007E]*" },
  Description: { min: 0, max: 1000, pattern: /^[\s\S]*$/, patternText: ".*" },
  Marker: { min: 1, max: 320, pattern: /^[\u0020-\u00FF]+$/, patternText: "[\\u0020-\\u00FF]+" },
} as const satisfies Record<string, ParamSpec>;

export type ParamName = keyof typeof PARAM_SPECS;

/** IAM names members in camelCase inside validation messages (`at 'userName'`). */
const memberName = (param: string) => param.charAt(0).toLowerCase() + param.slice(1);

function validationError(param: string, value: string | null, constraint: string): IamError {
  const shown = value === null ? "null" : `'${value}'`;
  return new IamError(
    "ValidationError",
    `1 validation error detected: Value ${shown} at '${memberName(param)}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Typed access to one request's form parameters, validated the way IAM validates them. */
export class QueryParams {
  constructor(private readonly form: URLSearchParams) {}

  raw(name: string): string | null {
    return this.form.get(name);
  }

  optional(name: ParamName): string | undefined {
    const value = this.form.get(name);
    if (value === null) return undefined;
    const spec: ParamSpec = PARAM_SPECS[name];
    if (value.length < spec.min) {
      throw validationError(name, value, `Member must have length greater than or equal to ${spec.min}`);
    }
    if (value.length > spec.max) {
      throw validationError(name, value, `Member must have length less than or equal to ${spec.max}`);
    }
    if (value.length > 0 && !spec.pattern.test(value)) {
      throw validationError(
        name,
        value,
        `Member must satisfy regular expression pattern: ${spec.patternText}`,
      );
    }
    return value;
  }

  required(name: ParamName): string {
    const value = this.optional(name);
    if (value === undefined) throw validationError(name, null, "Member must not be null");
    return value;
  }

  /** MaxItems: 1..1000, default 100 as in IAM. */
  maxItems(): number {
    const text = this.form.get("MaxItems");
    if (text === null) return 100;
    const n = Number(text);
    if (!Number.isInteger(n))
      throw new IamError("ValidationError", `Invalid value for parameter MaxItems: ${text}`);
    if (n < 1) throw validationError("MaxItems", text, "Member must have value greater than or equal to 1");
    if (n > 1000)
      throw validationError("MaxItems", text, "Member must have value less than or equal to 1000");
    return n;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const text = this.form.get(name);
    if (text === null) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw validationError(name, text, `Member must have value between ${min} and ${max}`);
    }
    return n;
  }
}
