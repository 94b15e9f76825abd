// The Redis key layout of docs/design.md ("Redis keys"). A deployment-wide prefix, if any,
// is applied by the connection (ioredis keyPrefix), never here.

export const queueKeys = (provider: string) => ({
  queue: `queue:${provider}`,
  processing: (workerId: string) => `queue:${provider}:processing:${workerId}`,
  workers: `queue:${provider}:workers`,
  delayed: `queue:${provider}:delayed`,
  dead: `queue:${provider}:dead`,
  /** Hash: sha1 of a job string → times the reaper recovered it (poison-job detection). */
  recoveries: `queue:${provider}:recoveries`,
});

export const REVOCATION_SCHEDULE_KEY = "schedule:revocations";

/** LIST: scheduled revocations that name no known provider (cannot be routed), with the reason. */
export const REVOCATION_DEAD_KEY = "schedule:revocations:dead";
