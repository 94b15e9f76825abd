import type { ChainableCommander } from "ioredis";

/**
 * Runs a pipeline and throws the first command's error. ioredis resolves `exec()` with one
 * `[error, reply]` pair per command instead of rejecting, so a refused write (WRONGTYPE, OOM,
 * READONLY after a failover) would otherwise pass as done. `exec()` resolves to null only for a
 * MULTI that WATCH discarded, which a plain pipeline never is: treated as a failure all the same.
 */
export async function execOrThrow(p: ChainableCommander): Promise<unknown[]> {
  const replies = await p.exec();
  if (replies === null) throw new Error("Redis discarded the pipeline");
  return replies.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}
