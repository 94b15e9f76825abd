/**
 * Valid request bodies for tests (this directory's and the policy's). Plain JSON values, as a
 * client would send them; each test spreads and changes what it is about.
 */
export const NOW = new Date("2030-01-01T00:00:00Z");
export const WEEK_MS = 7 * 24 * 3600_000;
export const OPTS = { now: NOW, maxDurationMs: WEEK_MS };

export const SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
export const PRINCIPAL_ID = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b";
/** The built-in Reader role's definition GUID. */
export const READER_GUID = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

export const awsManaged = {
  provider: "aws",
  action: "grant",
  principal: { type: "user", name: "alice" },
  permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
  duration: "PT2H",
} as const;

export const awsGroup = {
  provider: "aws",
  action: "grant",
  principal: { type: "user", name: "bob" },
  permission: { type: "group_membership", group: "developers" },
  expires_at: "2030-01-01T08:00:00Z",
} as const;

export const inlineDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "ReadBucket",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
      Condition: { Bool: { "aws:SecureTransport": true }, IpAddress: { "aws:SourceIp": ["10.0.0.0/8"] } },
    },
  ],
};

export const awsInline = {
  provider: "aws",
  action: "grant",
  principal: { type: "role", name: "batch-runner" },
  permission: { type: "inline_policy", policy_name: "read-reports", document: inlineDocument },
  duration: "PT30M",
} as const;

export const azureByName = {
  provider: "azure",
  action: "grant",
  principal: { id: PRINCIPAL_ID, type: "User" },
  role: { name: "Reader" },
  scope: `/subscriptions/${SUB}`,
  duration: "PT1H",
} as const;

export const azureById = {
  provider: "azure",
  action: "grant",
  principal: { id: PRINCIPAL_ID, type: "ServicePrincipal" },
  role: { definition_id: READER_GUID },
  scope: `/subscriptions/${SUB}/resourceGroups/rg-dev`,
  expires_at: "2030-01-02T00:00:00+02:00",
} as const;
