import { classifyAwsError } from "./classify-aws-error.ts";

export type Lookup<T> = { found: true; value: T } | { found: false };

/**
 * Runs one IAM call where NoSuchEntity is an answer, not a failure (the policy is not attached, the
 * user is not in the group, the principal itself is gone). Every other error is classified and thrown.
 */
export async function unlessNoSuchEntity<T>(call: () => Promise<T>): Promise<Lookup<T>> {
  try {
    return { found: true, value: await call() };
  } catch (err) {
    const classified = classifyAwsError(err);
    if (classified.providerCode === "NoSuchEntity") return { found: false };
    throw classified;
  }
}
