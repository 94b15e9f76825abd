import { explainChips } from "../../lib/nlq/explain.ts";
import { createZone } from "../../lib/nlq/zone.ts";
import { filtersToQuery, type ListFilters } from "../../lib/requests/list-filters.ts";
import { editField, navigate, timeZone } from "../state.ts";

const zone = createZone(timeZone);

/** The URL's filters as chips (the search's explanation): each can be removed or edited. */
export function FilterChips(props: { filters: ListFilters }) {
  const chips = explainChips(props.filters, zone);
  if (chips.length === 0) return null;
  const without = (fields: readonly (keyof ListFilters)[]) => {
    const f: ListFilters = { ...props.filters };
    for (const k of fields) delete f[k];
    const q = filtersToQuery(f).toString();
    return q ? `/?${q}` : "/";
  };
  return (
    <section aria-label="Active filters" class="chips-bar">
      <ul class="chips">
        {chips.map((c) => (
          <li key={c.text} class="chip">
            <span>{c.text}</span>
            <button
              type="button"
              class="chip-edit"
              aria-label={`Edit filter: ${c.text}`}
              title="Edit"
              onClick={() => {
                editField.value = c.fields[0] ?? null;
              }}
            >
              ✎
            </button>
            <a
              class="chip-remove"
              href={without(c.fields)}
              aria-label={`Remove filter: ${c.text}`}
              title="Remove"
              onClick={(e) => {
                e.preventDefault();
                navigate(without(c.fields));
              }}
            >
              ×
            </a>
          </li>
        ))}
      </ul>
      <a
        href="/"
        onClick={(e) => {
          e.preventDefault();
          navigate("/");
        }}
      >
        Clear all
      </a>
    </section>
  );
}
