// What the revocation model checks. While the commands run (a monitor, every few hundred ms):
// pre-existing access is never removed, and an applied grant that the model says is still active
// has its access in the cloud. After them (settle, then the invariant): the cloud holds exactly
// the pre-existing access — every grant has ended by then — every row is final, and no
// obligation is open or failed. Expected cloud state comes from the model, never the database;
// the database only says which grants were applied (SUCCESS), which the model cannot know under
// throttling.
import { waitUntil } from "../helpers/spawn-service.ts";
import type { Model } from "./commands.ts";
import type { System } from "./system.ts";
import { ACCESSES, type CloudView, describeAccess, readCloud } from "./universe.ts";

/** An access may go this much before the model's end: a revocation is claimed up to 0.5 s early. */
const END_MARGIN_MS = 1500;

export interface Monitor {
  violations: string[];
  stop(): Promise<void>;
}

interface RowView {
  correlation_id: string;
  status: string;
  revocation_status: string | null;
  pre_existing: boolean | null;
  revoke_at: Date | null;
  revoked_at: Date | null;
  error_details: { code?: string } | null;
  revocation_error: { code?: string } | null;
}

async function rows(sys: System): Promise<RowView[]> {
  return await sys.db.sql<RowView[]>`
    SELECT correlation_id, status, revocation_status, pre_existing, revoke_at, revoked_at,
           error_details, revocation_error
    FROM requests`;
}

/** Violations of "what must be there is there" in one look (database first, then the cloud). */
function presenceViolations(model: Model, success: Set<string>, view: CloudView, now: number): string[] {
  const out: string[] = [];
  for (const [i, pre] of model.preExisting) {
    if (!view.present.has(i)) out.push(`pre-existing ${describeAccess(i)} was removed`);
    else if (pre.azureName && !(view.azureNames.get(i) ?? []).includes(pre.azureName))
      out.push(`pre-existing assignment ${pre.azureName} (${describeAccess(i)}) was removed`);
  }
  for (const g of model.grants) {
    if (success.has(g.id) && g.endAt > now + END_MARGIN_MS && !view.present.has(g.access)) {
      out.push(
        `g${g.n} (${describeAccess(g.access)}) is SUCCESS and active for ${g.endAt - now}ms more, but its access is gone`,
      );
    }
  }
  return out;
}

export function startMonitor(sys: System, model: Model): Monitor {
  const violations: string[] = [];
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      try {
        const success = new Set(
          (await rows(sys)).filter((r) => r.status === "SUCCESS").map((r) => r.correlation_id),
        );
        const now = Date.now();
        for (const v of presenceViolations(model, success, readCloud(sys.infra.cloud), now)) {
          if (violations.length < 20) violations.push(`${((now - sys.t0) / 1000).toFixed(2)}s ${v}`);
          sys.note(`VIOLATION ${v}`);
        }
      } catch {
        // The database read can fail transiently; the next look counts.
      }
      await Bun.sleep(250);
    }
  })();
  return {
    violations,
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

export interface Outcome {
  grants: number;
  success: number;
  failed: number;
  revoked: number;
  skipped: number;
  /** Revocation lateness after revoke_at, ms: the largest seen. */
  maxLatenessMs: number;
  settleMs: number;
  /** The audit timeline of the latest revocation, when it was over 5 s late (for a look). */
  slowest?: string;
}

/** A row's request_events, one line each, times relative to the case's start. */
export async function trace(sys: System, id: string): Promise<string> {
  const events = await sys.db.sql<{ at: Date; kind: string; to_status: string | null; detail: unknown }[]>`
    SELECT at, kind, to_status, detail FROM request_events WHERE correlation_id = ${id} ORDER BY id`;
  return [
    `events of ${id}:`,
    ...events.map(
      (e) =>
        `  ${((e.at.getTime() - sys.t0) / 1000).toFixed(2)}s ${e.kind}${e.to_status ? `:${e.to_status}` : ""} ${JSON.stringify(e.detail ?? {}).slice(0, 200)}`,
    ),
  ].join("\n");
}

function cloudDiff(model: Model, view: CloudView): string[] {
  const out: string[] = [];
  for (let i = 0; i < ACCESSES.length; i++) {
    const want = model.preExisting.has(i);
    if (view.present.has(i) !== want)
      out.push(
        `${describeAccess(i)}: cloud ${view.present.has(i) ? "holds" : "lacks"} it, expected ${want ? "held" : "gone"}`,
      );
    const pre = model.preExisting.get(i);
    if (pre?.azureName !== undefined) {
      const names = view.azureNames.get(i) ?? [];
      if (names.length !== 1 || names[0] !== pre.azureName)
        out.push(
          `${describeAccess(i)}: assignments ${JSON.stringify(names)}, expected only ${pre.azureName}`,
        );
    }
  }
  for (const f of view.foreign) out.push(`unexpected access in the cloud: ${f}`);
  return out;
}

/**
 * After the commands: faults cleared, one worker per provider and a scheduler running; wait (with
 * deadlines) until every row is final and every grant has ended and been dealt with, then check
 * the invariant. Throws an Error describing every violation.
 */
export async function settleAndCheck(sys: System, model: Model, monitor: Monitor): Promise<Outcome> {
  const started = Date.now();
  sys.infra.cloud.aws.faults.reset();
  sys.infra.cloud.azure.faults.reset();
  sys.ensureRunning();
  sys.note("settle: faults cleared");
  const problems: string[] = [];
  const finalNow = async () =>
    (await rows(sys)).every((r) => r.status === "SUCCESS" || r.status === "FAILED");
  await waitUntil(finalNow, "every row final", 45_000).catch(() =>
    problems.push("rows still not final after 45 s"),
  );
  sys.note("settle: every row final");
  const lastEnd = Math.max(0, ...model.grants.map((g) => g.endAt));
  await waitUntil(
    async () => Date.now() > lastEnd + 500,
    "every grant to end",
    Math.max(1000, lastEnd - Date.now() + 5000),
  );
  const converged = async () => {
    const rs = await rows(sys);
    return (
      rs.every(
        (r) => (r.status === "SUCCESS" || r.status === "FAILED") && r.revocation_status !== "SCHEDULED",
      ) && cloudDiff(model, readCloud(sys.infra.cloud)).length === 0
    );
  };
  await waitUntil(converged, "the system to settle", 45_000).catch(() =>
    problems.push("did not settle within 45 s after the last grant ended"),
  );
  sys.note("settle: done");
  await monitor.stop();

  problems.push(...monitor.violations.map((v) => `monitor: ${v}`));
  problems.push(...cloudDiff(model, readCloud(sys.infra.cloud)));
  const rs = await rows(sys);
  const byId = new Map(rs.map((r) => [r.correlation_id, r]));
  for (const r of rs) {
    if (r.status !== "SUCCESS" && r.status !== "FAILED")
      problems.push(`${r.correlation_id} not final: ${r.status}`);
    if (r.revocation_status === "SCHEDULED")
      problems.push(`${r.correlation_id} obligation open (revoke_at ${r.revoke_at?.toISOString()})`);
    if (r.revocation_status === "FAILED")
      problems.push(`${r.correlation_id} revocation FAILED: ${JSON.stringify(r.revocation_error)}`);
  }
  for (const g of model.grants) {
    const r = byId.get(g.id);
    if (!r) {
      problems.push(`g${g.n}: no row`);
      continue;
    }
    // Guarantee 3: access there before any grant of ours is recorded as pre-existing; access
    // that was not, never is.
    const seeded = model.preExisting.get(g.access);
    const pre = seeded !== undefined && seeded.at <= g.submittedAt;
    if (pre && r.pre_existing === false)
      problems.push(
        `g${g.n} (${describeAccess(g.access)}) decided not pre-existing, but the access was there before`,
      );
    if (!pre && r.pre_existing === true)
      problems.push(`g${g.n} (${describeAccess(g.access)}) decided pre-existing, but it never was`);
  }
  // Every job the system makes must be one its workers can read: none dead-lettered as unreadable.
  for (const key of ["queue:aws:dead", "queue:azure:dead", "schedule:revocations:dead"]) {
    for (const entry of await sys.redis.lrange(key, 0, 19)) {
      if (/unparsable|wrong queue|no known provider/.test(entry))
        problems.push(`${key}: ${entry.slice(0, 300)}`);
    }
  }
  if (problems.length > 0) throw new Error(`invariant violated:\n  - ${problems.join("\n  - ")}`);

  const late = rs
    .filter((r) => r.revocation_status === "REVOKED" && r.revoked_at && r.revoke_at)
    .map((r) => ({
      id: r.correlation_id,
      ms: (r.revoked_at?.getTime() ?? 0) - (r.revoke_at?.getTime() ?? 0),
    }))
    .sort((a, b) => b.ms - a.ms);
  const slowest = late[0];
  return {
    ...(slowest && slowest.ms > 5000
      ? { slowest: `${await trace(sys, slowest.id)}\ntimeline:\n${sys.lines.join("\n")}\n${sys.tails(30)}` }
      : {}),
    grants: rs.length,
    success: rs.filter((r) => r.status === "SUCCESS").length,
    failed: rs.filter((r) => r.status === "FAILED").length,
    revoked: rs.filter((r) => r.revocation_status === "REVOKED").length,
    skipped: rs.filter((r) => r.revocation_status === "SKIPPED").length,
    maxLatenessMs: Math.max(0, ...late.map((l) => l.ms)),
    settleMs: Date.now() - started,
  };
}
