import { useState } from "preact/hooks";
import { filtersToQuery } from "../../lib/requests/list-filters.ts";
import { type ApiClient, ApiError } from "../api-client.ts";
import { lastSearch, navigate, prefetched, query, timeZone } from "../state.ts";
import { listKey } from "./request-table.tsx";

/** Ask in plain English; the answer becomes the URL's filters, shown as chips. */
export function SearchBox(props: { api: ApiClient }) {
  const q = query.value.get("q") ?? "";
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const unknown = lastSearch.value?.q === q ? lastSearch.value.unknown : [];
  const submit = async (e: Event) => {
    e.preventDefault();
    const text = String(new FormData(e.currentTarget as HTMLFormElement).get("q") ?? "").trim();
    if (text === "") return navigate("/");
    setBusy(true);
    try {
      const found = await props.api.search({ q: text, tz: timeZone });
      const params = filtersToQuery(found.filters);
      lastSearch.value = { q: text, unknown: found.unknown };
      prefetched.value = {
        key: listKey(found.filters, null),
        page: { items: found.results, next_cursor: found.next_cursor },
      };
      params.set("q", text);
      setError(null);
      navigate(`/?${params}`);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <search class="search card" aria-label="Search requests">
      <form action="/" onSubmit={submit}>
        <label for="q">Ask in plain English</label>
        <div class="row">
          <input
            id="q"
            name="q"
            type="search"
            key={q}
            defaultValue={q}
            placeholder="failed aws requests yesterday"
            maxLength={500}
            autocomplete="off"
          />
          <button type="submit" disabled={busy}>
            {busy ? "Searching…" : "Search"}
          </button>
        </div>
        {unknown.length > 0 && (
          <p class="unknown" aria-live="polite">
            Not understood (ignored):{" "}
            {unknown.map((w, i) => (
              <mark key={`${i}-${w}`}>{w}</mark>
            ))}
          </p>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </search>
  );
}
