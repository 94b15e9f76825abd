// CPU time of processes from /proc (Linux): utime + stime of /proc/<pid>/stat, in milliseconds.
// Benchmarks read it before and after a run for the processes they care about (a server, the
// PostgreSQL backends serving its pool) and divide by the work done.
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's times; 100 on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** CPU (user + system) a live process has used so far, ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Field 2 (comm) is in parentheses and may hold spaces: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After comm, field 3 (state) is index 0: utime (14) is index 11, stime (15) index 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** Sum over `pids` of their CPU, ms (processes already gone count 0). */
export function totalCpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
}
