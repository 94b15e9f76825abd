/**
 * Built-in Azure role definitions the simulator knows. The GUIDs are Azure's real, global ids
 * (the same in every tenant), so code tested here works unchanged against Azure. Kept apart from
 * the provider's own table on purpose: a simulator that imported its client's table could never
 * disagree with it.
 */
export interface BuiltinRole {
  guid: string;
  roleName: string;
  description: string;
  actions: string[];
  notActions: string[];
  dataActions: string[];
}

const role = (
  guid: string,
  roleName: string,
  description: string,
  actions: string[],
  more: { notActions?: string[]; dataActions?: string[] } = {},
): BuiltinRole => ({
  guid,
  roleName,
  description,
  actions,
  notActions: more.notActions ?? [],
  dataActions: more.dataActions ?? [],
});

export const BUILTIN_ROLES: readonly BuiltinRole[] = [
  role(
    "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Reader",
    "View all resources, but does not allow you to make any changes.",
    ["*/read"],
  ),
  role(
    "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Contributor",
    "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
    ["*"],
    {
      notActions: [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
      ],
    },
  ),
  role(
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Owner",
    "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    ["*"],
  ),
  role(
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "User Access Administrator",
    "Lets you manage user access to Azure resources.",
    ["*/read", "Microsoft.Authorization/*"],
  ),
  role(
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "Role Based Access Control Administrator",
    "Manage access to Azure resources by assigning roles using Azure RBAC.",
    [
      "Microsoft.Authorization/roleAssignments/write",
      "Microsoft.Authorization/roleAssignments/delete",
      "*/read",
    ],
  ),
  role(
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Reader",
    "Read and list Azure Storage containers and blobs.",
    ["Microsoft.Storage/storageAccounts/blobServices/containers/read"],
    {
      dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
    },
  ),
  role(
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Contributor",
    "Read, write, and delete Azure Storage containers and blobs.",
    ["Microsoft.Storage/storageAccounts/blobServices/containers/*"],
    {
      dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
    },
  ),
  role(
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Owner",
    "Provides full access to Azure Storage blob containers and data, including assigning POSIX access control.",
    ["Microsoft.Storage/storageAccounts/blobServices/containers/*"],
    {
      dataActions: ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"],
    },
  ),
  role("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User", "Read secret contents.", [], {
    dataActions: [
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ],
  }),
  role(
    "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Administrator",
    "Perform all data plane operations on a key vault and all objects in it.",
    ["Microsoft.KeyVault/vaults/*/read"],
    {
      dataActions: ["Microsoft.KeyVault/vaults/*"],
    },
  ),
  role(
    "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
    "Virtual Machine Contributor",
    "Create and manage virtual machines, but not access to them.",
    ["Microsoft.Compute/virtualMachines/*"],
  ),
  role(
    "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Network Contributor",
    "Lets you manage networks, but not access to them.",
    ["Microsoft.Network/*"],
  ),
  role("43d0d8ad-25c7-4714-9337-8ba259a9fe05", "Monitoring Reader", "Can read all monitoring data.", [
    "*/read",
  ]),
  role("7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull", "acr pull", [
    "Microsoft.ContainerRegistry/registries/pull/read",
  ]),
];
