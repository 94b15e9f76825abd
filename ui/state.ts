// The dashboard's state: a few signals, here and nowhere else. The URL is the source of the
// filters (a view can be shared, the back button works); the token lives in sessionStorage only,
// so it ends with the browser session.
import { computed, signal } from "@preact/signals";
import type { RequestList } from "../lib/http/schemas/requests.ts";
import { type FiltersFromQueryResult, filtersFromQuery } from "../lib/requests/list-filters.ts";

const TOKEN_KEY = "csecbridge.token";

export const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));

export function signIn(t: string): void {
  sessionStorage.setItem(TOKEN_KEY, t);
  token.value = t;
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  token.value = null;
}

const here = () => ({ path: window.location.pathname, search: window.location.search });
/** The address bar, as a signal. */
export const place = signal(here());
window.addEventListener("popstate", () => {
  place.value = here();
});

/** Goes to `url` inside the dashboard (a history entry, like a link). */
export function navigate(url: string): void {
  history.pushState(null, "", url);
  place.value = here();
  window.scrollTo?.(0, 0);
}

export type Route = { name: "overview" } | { name: "request"; id: string };

export const route = computed<Route>(() => {
  const m = /^\/requests\/([^/]+)\/?$/.exec(place.value.path);
  return m?.[1] ? { name: "request", id: decodeURIComponent(m[1]) } : { name: "overview" };
});

export const query = computed(() => new URLSearchParams(place.value.search));
/** The filters of the URL (the same reading as the API's). */
export const urlFilters = computed<FiltersFromQueryResult>(() => filtersFromQuery(query.value));

/** The words the last search did not understand, for the text it was asked with. */
export const lastSearch = signal<{ q: string; unknown: string[] } | null>(null);
/** A search's first page, so the table need not ask again for the same filters. */
export const prefetched = signal<{ key: string; page: RequestList } | null>(null);
/** The filter field the filter form should open on (a chip's "edit"). */
export const editField = signal<string | null>(null);

/** The caller's time zone: search reads "today" in it; times are shown in it. */
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
