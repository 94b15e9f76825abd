/** A request's status or revocation status as a labelled badge (colour is never the only cue). */
export function StatusBadge(props: { value: string | null; kind?: "status" | "revocation" }) {
  if (props.value === null) return <span class="muted">—</span>;
  const cls = `badge ${props.kind === "revocation" ? "rev-" : "st-"}${props.value.toLowerCase()}`;
  return <span class={cls}>{props.value}</span>;
}
