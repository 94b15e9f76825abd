import { useEffect, useRef, useState } from "preact/hooks";
import {
  filtersToQuery,
  type ListFilters,
  listFiltersSchema,
  SET_FIELDS,
  type SetField,
} from "../../lib/requests/list-filters.ts";
import { editField, navigate } from "../state.ts";

const SET_LABELS: Record<SetField, string> = {
  provider: "Provider",
  status: "Status",
  revocation_status: "Revocation",
  action: "Action",
};
const LIST_FIELDS = [
  ["principal", "Principal"],
  ["ticket", "Ticket"],
  ["client", "Client"],
] as const;
const TIME_FIELDS = [
  ["from", "Received from"],
  ["to", "Received before"],
  ["expires_from", "Expires from"],
  ["expires_to", "Expires before"],
] as const;

/** An instant as a datetime-local value, in the browser's zone (the zone the chips use). */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

const checkedOf = (field: SetField, f: ListFilters): string[] => {
  const set = f[field];
  if (!set) return [];
  return "in" in set ? set.in : SET_FIELDS[field].filter((v) => !(set.not_in as string[]).includes(v));
};

/**
 * Every filter as a plain form: submitting it puts the filters in the URL (a GET, like a link).
 * A field left as it was keeps its exact value (an exclusion, seconds in a time) even where the
 * form can only show an approximation of it.
 */
export function FilterForm(props: { filters: ListFilters }) {
  const f = props.filters;
  const ref = useRef<HTMLDetailsElement>(null);
  const [error, setError] = useState<string | null>(null);
  const field = editField.value;
  useEffect(() => {
    if (!field || !ref.current) return;
    ref.current.open = true;
    ref.current.querySelector<HTMLElement>(`[data-field="${field}"]`)?.focus();
    editField.value = null;
  }, [field]);

  const submit = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const next: Record<string, unknown> = {};
    for (const s of Object.keys(SET_FIELDS) as SetField[]) {
      const picked = data.getAll(s).map(String);
      const before = checkedOf(s, f);
      if (picked.length === before.length && picked.every((v) => before.includes(v))) {
        if (f[s]) next[s] = f[s];
      } else if (picked.length > 0 && picked.length < SET_FIELDS[s].length) next[s] = { in: picked };
    }
    for (const [k] of TIME_FIELDS) {
      const v = String(data.get(k) ?? "");
      if (v === toLocalInput(f[k])) {
        if (f[k]) next[k] = f[k];
      } else if (v !== "") next[k] = new Date(v).toISOString();
    }
    if (data.get("stuck") === "on") next.stuck = true;
    for (const [k] of LIST_FIELDS) {
      const vs = String(data.get(k) ?? "")
        .split(/\s+/)
        .filter((v) => v !== "");
      if (vs.length > 0) next[k] = [...new Set(vs)];
    }
    const text = String(data.get("text") ?? "").trim();
    if (text !== "") next.text = text === (f.text ?? []).join(" ") ? f.text : [text];
    const parsed = listFiltersSchema.safeParse(next);
    if (!parsed.success) {
      setError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      return;
    }
    setError(null);
    const q = filtersToQuery(parsed.data).toString();
    navigate(q ? `/?${q}` : "/");
  };

  return (
    <details class="card filters" ref={ref}>
      <summary>Filters</summary>
      <form action="/" method="get" onSubmit={submit} key={JSON.stringify(f)}>
        <div class="filter-grid">
          {(Object.keys(SET_FIELDS) as SetField[]).map((s) => (
            <fieldset key={s}>
              <legend>{SET_LABELS[s]}</legend>
              {SET_FIELDS[s].map((v, i) => (
                <label key={v} class="check">
                  <input
                    type="checkbox"
                    name={s}
                    value={v}
                    defaultChecked={checkedOf(s, f).includes(v)}
                    data-field={i === 0 ? s : undefined}
                  />{" "}
                  {v}
                </label>
              ))}
            </fieldset>
          ))}
          {TIME_FIELDS.map(([k, label]) => (
            <div key={k} class="field">
              <label for={`filter-${k}`}>{label}</label>
              <input
                id={`filter-${k}`}
                name={k}
                type="datetime-local"
                defaultValue={toLocalInput(f[k])}
                data-field={k}
              />
            </div>
          ))}
          {LIST_FIELDS.map(([k, label]) => (
            <div key={k} class="field">
              <label for={`filter-${k}`}>{label}</label>
              <input
                id={`filter-${k}`}
                name={k}
                type="text"
                defaultValue={(f[k] ?? []).join(" ")}
                aria-describedby="list-help"
                data-field={k}
                spellcheck={false}
              />
            </div>
          ))}
          <div class="field">
            <label for="filter-text">Text contains</label>
            <input
              id="filter-text"
              name="text"
              type="text"
              defaultValue={(f.text ?? []).join(" ")}
              data-field="text"
            />
          </div>
          <label class="check field">
            <input type="checkbox" name="stuck" defaultChecked={f.stuck === true} data-field="stuck" /> Stuck
            only
          </label>
        </div>
        <p id="list-help" class="muted">
          Several principals, tickets or clients: separate them with spaces.
        </p>
        <div class="row">
          <button type="submit">Apply filters</button>
          <a
            href="/"
            onClick={(e) => {
              e.preventDefault();
              navigate("/");
            }}
          >
            Clear
          </a>
        </div>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </details>
  );
}
