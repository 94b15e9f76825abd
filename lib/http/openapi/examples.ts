// Values the documented examples use. The ids name requests and webhook deliveries the contract
// test (tests/openapi) seeds before sending each example, in the state the comment gives, all of
// them the example client's (a submitter; operators and auditors see them too).

export const EXAMPLE_IDS = {
  /** An AWS grant that succeeded and is active (revocation SCHEDULED an hour ahead). */
  activeGrant: "5d7f9c2e-3b1a-4c8e-9f60-2a4b6c8d0e1f",
  /** Another active grant, the one the revoke example ends. */
  revocableGrant: "8a1e4f2b-6c3d-4e5f-8a7b-9c0d1e2f3a4b",
  /** A grant whose access was already revoked: revoking or extending it again is a 409. */
  endedGrant: "c3b2a190-8f7e-4d6c-b5a4-938271605f4e",
  /** Another active grant, the one the extend example moves an hour later. */
  extendableGrant: "4e6f8a0b-2c4d-4e6f-a1b3-c5d7e9f1a3b5",
  /** A webhook delivery of activeGrant's request.succeeded that its endpoint took (200). */
  deliveredDelivery: "7c0e5a4d-2b1f-4e3a-9d8c-6b5a4f3e2d1c",
  /** The same event to a second endpoint, still pending after a 503: redelivering it is a 409. */
  pendingDelivery: "b1d3f5a7-9c2e-4b6d-8f0a-3c5e7a9b1d2f",
  /** Never used. */
  unknown: "00000000-0000-4000-8000-000000000000",
} as const;

/** The principals `bun run dev` seeds into cloudsim (scripts/dev.ts), so the examples work there. */
export const EXAMPLE_AZURE = {
  principalId: "0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11",
  scope: "/subscriptions/6f1d2b7a-0c1e-4a7b-9d3e-5c2a1b0f9e8d/resourceGroups/rg-dev",
};

export const exampleBodies = {
  awsManagedPolicy: {
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: "alice" },
    permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    duration: "PT2H",
    ticket: "CHG-1234",
    requested_by: "hr-system",
    justification: "quarterly audit",
  },
  awsGroupMembership: {
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: "bob" },
    permission: { type: "group_membership", group: "developers" },
    duration: "PT8H",
  },
  azureReader: {
    provider: "azure",
    action: "grant",
    principal: { id: EXAMPLE_AZURE.principalId, type: "User" },
    role: { name: "Reader" },
    scope: EXAMPLE_AZURE.scope,
    duration: "PT4H",
    ticket: "INC-42",
  },
  awsRevoke: {
    provider: "aws",
    action: "revoke",
    principal: { type: "user", name: "alice" },
    permission: { type: "managed_policy", policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
    ticket: "CHG-1235",
  },
  invalid: {
    provider: "aws",
    action: "grant",
    principal: { type: "user", name: "" },
    permission: { type: "managed_policy", policy_arn: "not-an-arn" },
  },
} as const;
