import { describe, expect, test } from "bun:test";
import { samePolicyDocument } from "./policy-json.ts";

const base = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: "*",
      Condition: { Bool: { "aws:SecureTransport": ["true"] } },
    },
  ],
};

describe("samePolicyDocument", () => {
  test("ignores whitespace, key order and string-versus-one-element-list", () => {
    const rewritten = `{"Statement":{"Condition":{"Bool":{"aws:SecureTransport":"true"}},"Resource":["*"],
      "Action":"s3:GetObject","Effect":"Allow"},  "Version":"2012-10-17"}`;
    expect(samePolicyDocument(JSON.stringify(base), rewritten)).toBe(true);
  });

  test("a different effect, action, resource, extra statement or missing Version is different", () => {
    const variants = [
      { ...base, Statement: [{ ...base.Statement[0], Effect: "Deny" }] },
      { ...base, Statement: [{ ...base.Statement[0], Action: ["s3:*"] }] },
      { ...base, Statement: [{ ...base.Statement[0], Resource: "arn:aws:s3:::b" }] },
      { ...base, Statement: [...base.Statement, { Effect: "Allow", Action: "ec2:*", Resource: "*" }] },
      { Statement: base.Statement },
    ];
    for (const v of variants) expect(samePolicyDocument(JSON.stringify(base), JSON.stringify(v))).toBe(false);
  });

  test("text that is not JSON is never the same as anything", () => {
    expect(samePolicyDocument("{nope", "{nope")).toBe(false);
  });
});
