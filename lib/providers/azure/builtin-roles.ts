/**
 * Azure built-in role names → their role definition GUIDs. These ids are global (the same in every
 * tenant and cloud), so resolving them here saves a roleDefinitions.list call per grant. A name
 * not in this table is looked up at the scope (custom roles, or built-ins added later).
 */
// A Map, not an object literal: "constructor" or "__proto__" must not resolve to anything.
const BUILTIN_ROLE_IDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "user access administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "role based access control administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "storage blob data reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "storage blob data contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "storage blob data owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "key vault secrets user": "4633458b-17de-408a-b874-0445c86b69e6",
    "key vault administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "virtual machine contributor": "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
    "network contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "monitoring reader": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    acrpull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  }),
);

/** Role names are case-insensitive in Azure; surrounding spaces carry no meaning. */
export function builtinRoleGuid(roleName: string): string | undefined {
  return BUILTIN_ROLE_IDS.get(roleName.trim().toLowerCase());
}

export const BUILTIN_ROLE_NAMES: readonly string[] = [...BUILTIN_ROLE_IDS.keys()];
