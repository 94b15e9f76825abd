export { ASSIGNMENT_NAME_NAMESPACE, assignmentNameFor } from "./assignment-name.ts";
export { type AzureProviderDeps, createAzureProvider } from "./azure-provider.ts";
export { classifyAzureError } from "./classify-azure-error.ts";
export { type AzureClientOptions, createAzureClient } from "./create-azure-client.ts";
