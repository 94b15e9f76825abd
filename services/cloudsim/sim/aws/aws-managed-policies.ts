/**
 * AWS managed policies the simulator knows. Real accounts see hundreds; these are the ones access
 * requests commonly name. Note the paths: ViewOnlyAccess lives under job-function/, not at the root.
 */
const MANAGED: readonly (readonly [path: string, name: string])[] = [
  ["/", "AdministratorAccess"],
  ["/", "PowerUserAccess"],
  ["/", "ReadOnlyAccess"],
  ["/", "SecurityAudit"],
  ["/", "IAMReadOnlyAccess"],
  ["/", "IAMFullAccess"],
  ["/", "IAMUserChangePassword"],
  ["/", "AmazonS3ReadOnlyAccess"],
  ["/", "AmazonS3FullAccess"],
  ["/", "AmazonEC2ReadOnlyAccess"],
  ["/", "AmazonEC2FullAccess"],
  ["/", "AmazonDynamoDBReadOnlyAccess"],
  ["/", "AmazonRDSReadOnlyAccess"],
  ["/", "AmazonSQSReadOnlyAccess"],
  ["/", "AmazonSNSReadOnlyAccess"],
  ["/", "AmazonVPCReadOnlyAccess"],
  ["/", "CloudWatchReadOnlyAccess"],
  ["/", "AWSCloudTrail_ReadOnlyAccess"],
  ["/", "AWSLambda_ReadOnlyAccess"],
  ["/", "AWSBillingReadOnlyAccess"],
  ["/", "AWSSupportAccess"],
  ["/job-function/", "ViewOnlyAccess"],
  ["/job-function/", "Billing"],
  ["/job-function/", "DatabaseAdministrator"],
  ["/job-function/", "NetworkAdministrator"],
  ["/job-function/", "SystemAdministrator"],
  ["/job-function/", "SupportUser"],
  ["/service-role/", "AWSLambdaBasicExecutionRole"],
];

export interface ManagedPolicyInfo {
  name: string;
  path: string;
  arn: string;
  /** Stable fake id in IAM's format (ANPA + 17 characters). */
  policyId: string;
}

export const AWS_MANAGED_POLICIES: ReadonlyMap<string, ManagedPolicyInfo> = new Map(
  MANAGED.map(([path, name], i) => {
    const arn = `arn:aws:iam::aws:policy${path}${name}`;
    return [arn, { name, path, arn, policyId: `ANPAJ${String(i).padStart(16, "0")}` }];
  }),
);
