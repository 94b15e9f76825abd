import type { Redis } from "ioredis";
import type { Logger } from "../logging/logger.ts";
import { sleep } from "../queue/sleep.ts";
import { queueTasks } from "./queue-tasks.ts";
import type { SchedulerTask } from "./task.ts";

export interface SchedulerDeps {
  redis: Redis;
  log: Logger;
  clock: () => number;
  intervalMs: number;
  /** Every provider a job can name. */
  providers: readonly string[];
  heartbeatTimeoutMs: number;
  maxRecoveries: number;
  batchLimit?: number;
  orphanSweepEveryMs?: number;
  /** See QueueTaskOptions.redisLifeKey. */
  redisLifeKey?: string;
  /** Run every tick after the queue tasks: the PostgreSQL reconciler plugs in here. */
  extraTasks?: readonly SchedulerTask[];
  /** Wraps every task, e.g. to count its runs and failures (lib/metrics/scheduler-metrics.ts). */
  instrument?: (task: SchedulerTask) => SchedulerTask;
}

export interface Scheduler {
  /** Ends the loop after the task running now; resolves when it has. */
  stop(): Promise<void>;
}

/**
 * The scheduler loop: every `intervalMs`, run each task once, in order. Every task is safe with
 * several replicas running it at the same moment (atomic scripts), so no leader election.
 */
export function runScheduler(deps: SchedulerDeps): Scheduler {
  const tasks: SchedulerTask[] = [
    ...queueTasks({
      redis: deps.redis,
      log: deps.log,
      providers: deps.providers,
      heartbeatTimeoutMs: deps.heartbeatTimeoutMs,
      maxRecoveries: deps.maxRecoveries,
      ...(deps.batchLimit === undefined ? {} : { batchLimit: deps.batchLimit }),
      ...(deps.orphanSweepEveryMs === undefined ? {} : { orphanSweepEveryMs: deps.orphanSweepEveryMs }),
      ...(deps.redisLifeKey === undefined ? {} : { redisLifeKey: deps.redisLifeKey }),
    }),
    ...(deps.extraTasks ?? []),
  ];
  return runTasks(deps.instrument ? tasks.map(deps.instrument) : tasks, deps);
}

/** Runs `tasks` every `intervalMs` until stopped. */
export function runTasks(
  tasks: readonly SchedulerTask[],
  deps: Pick<SchedulerDeps, "log" | "clock" | "intervalMs">,
): Scheduler {
  const stopping = new AbortController();
  const failing = new Set<string>();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const started = deps.clock();
      for (const task of tasks) {
        if (stopping.signal.aborted) break;
        try {
          await task.run({ now: deps.clock(), signal: stopping.signal });
          if (failing.delete(task.name)) deps.log.info({ task: task.name }, "scheduler task recovered");
        } catch (err) {
          // Logged once per failure streak: a Redis outage must not flood the logs every second.
          if (!failing.has(task.name)) deps.log.error({ err, task: task.name }, "scheduler task failed");
          failing.add(task.name);
        }
      }
      await sleep(Math.max(0, deps.intervalMs - (deps.clock() - started)), stopping.signal);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
