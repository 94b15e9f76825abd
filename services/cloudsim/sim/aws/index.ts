/** Public surface of the AWS IAM simulator; services/cloudsim mounts `createIamSim(...).handle`. */

export { AWS_MANAGED_POLICIES } from "./aws-managed-policies.ts";
export {
  createIamSim,
  DEFAULT_ACCOUNT_ID,
  IAM_API_VERSION,
  type IamSim,
  type IamSimOptions,
  type IamState,
  type SeedDocument,
  type SeedPrincipalOptions,
} from "./iam-sim.ts";
