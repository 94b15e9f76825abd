import type { AwsRequest } from "../../schemas/request.ts";

type Principal = AwsRequest["principal"];
type Permission = AwsRequest["permission"];

/** A valid AWS grant payload as the API would have stored it. */
export function awsGrant(principal: Principal, permission: Permission): AwsRequest {
  return { provider: "aws", action: "grant", duration: "PT1H", principal, permission };
}

export const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";

export const REPORTS_POLICY = {
  Version: "2012-10-17" as const,
  Statement: [
    {
      Sid: "ReadReports",
      Effect: "Allow" as const,
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
    },
  ],
};

export const ctx = (n = 1) => ({ correlationId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}` });
