import type { RequestEvent, RequestView } from "../../lib/http/schemas/requests.ts";
import { formatTime } from "../format.ts";

type Tone = "info" | "ok" | "bad" | "warn";

/** What an event means to an operator, in words. */
function describe(e: RequestEvent): { title: string; tone: Tone; note?: string } {
  const d = e.detail ?? {};
  const str = (k: string) => (typeof d[k] === "string" ? (d[k] as string) : undefined);
  switch (e.kind) {
    case "RECEIVED":
      return { title: "Received", tone: "info", note: str("by") && `from client ${str("by")}` };
    case "STATUS":
      if (e.to_status === "PROCESSING") return { title: "Claimed by a worker", tone: "info" };
      if (e.to_status === "SUCCESS") return { title: "Cloud call succeeded", tone: "ok" };
      if (e.to_status === "FAILED") {
        const code = str("code");
        return { title: "Failed", tone: "bad", note: [code, str("message")].filter(Boolean).join(": ") };
      }
      return { title: `Status ${e.from_status ?? "?"} → ${e.to_status ?? "?"}`, tone: "info" };
    case "OBLIGATION_OPENED":
      return { title: "Revocation scheduled, cloud call next", tone: "info" };
    case "PRE_EXISTING":
      return { title: "Access existed already: it will be left alone at expiry", tone: "warn" };
    case "RETRY":
      return {
        title: "Transient error, retrying",
        tone: "warn",
        note: [str("code"), str("message")].filter(Boolean).join(": "),
      };
    case "REVOKE_REQUESTED":
      return { title: "Early revoke requested", tone: "warn", note: str("by") && `by ${str("by")}` };
    case "REVOCATION":
      if (e.to_status === "REVOKED") return { title: "Revoked", tone: "ok" };
      if (e.to_status === "SKIPPED")
        return { title: "Revocation skipped", tone: "info", note: str("reason") };
      if (e.to_status === "FAILED") return { title: "Revocation failed", tone: "bad", note: str("message") };
      return { title: `Revocation ${e.from_status ?? "?"} → ${e.to_status ?? "?"}`, tone: "info" };
    case "REVOCATION_RETRY":
      return { title: "Revocation retrying", tone: "warn", note: str("message") };
    case "DRIFT_DETECTED":
      return { title: "Drift: access found in the cloud again, revocation reopened", tone: "bad" };
    case "DRIFT_MISSING":
      return { title: "Drift: access removed outside CSecBridge", tone: "warn" };
    default:
      return { title: e.kind, tone: "info" };
  }
}

/** The request's events as a vertical timeline, oldest first, then what is still to come. */
export function RequestTimeline(props: { view: RequestView; events: RequestEvent[] }) {
  const { view, events } = props;
  const due = view.revocation_status === "SCHEDULED" && view.expires_at;
  return (
    <ol class="timeline" aria-label="Timeline">
      {events.map((e) => {
        const { title, tone, note } = describe(e);
        return (
          <li key={e.id} class={`tl-${tone}`}>
            <time datetime={e.at}>{formatTime(e.at)}</time>
            <span class="tl-title">{title}</span>
            {note && <span class="tl-note">{note}</span>}
          </li>
        );
      })}
      {due && (
        <li class="tl-future">
          <time datetime={view.expires_at ?? ""}>{formatTime(view.expires_at)}</time>
          <span class="tl-title">Revocation due</span>
        </li>
      )}
    </ol>
  );
}
