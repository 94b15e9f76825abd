import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/**
 * Identifies one consumer process: host (the pod name on Kubernetes), pid, and a random part so a
 * restarted process never inherits the processing lists of its previous life (the reaper owns
 * those). Its workers are `<process id>:<slot>`, one per concurrent claim.
 */
export function newProcessId(host: string = hostname()): string {
  const safe = host.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 40);
  return `${safe}-${process.pid}-${randomBytes(3).toString("hex")}`;
}
