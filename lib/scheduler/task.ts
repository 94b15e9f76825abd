/**
 * One piece of scheduler work, run once per tick. Tasks run one after another; a failing task is
 * logged and does not stop the others. The queue tasks come first; the PostgreSQL reconciler
 * joins the list as one more task.
 */
export interface SchedulerTask {
  readonly name: string;
  run(ctx: TickContext): Promise<void>;
}

export interface TickContext {
  /** The tick's time, ms (the injected clock). */
  now: number;
  /** Aborts when the scheduler stops: long tasks should return early. */
  signal: AbortSignal;
}
