import type { ApiClient } from "../api-client.ts";
import { urlFilters } from "../state.ts";
import { DashboardCharts } from "./dashboard-charts.tsx";
import { FilterChips } from "./filter-chips.tsx";
import { FilterForm } from "./filter-form.tsx";
import { RequestTable } from "./request-table.tsx";
import { SearchBox } from "./search-box.tsx";

/** The first page an operator on call opens: ask, see the charts, filter the list. */
export function Overview(props: { api: ApiClient }) {
  const f = urlFilters.value;
  return (
    <>
      <h1 class="visually-hidden">Operations overview</h1>
      <SearchBox api={props.api} />
      {f.ok ? (
        <FilterChips filters={f.filters} />
      ) : (
        <p class="error" role="alert">
          This address has filters the API does not accept:{" "}
          {f.issues.map((i) => `${i.pointer.slice(1)} (${i.detail})`).join(", ")}. <a href="/">Clear them</a>
        </p>
      )}
      <DashboardCharts api={props.api} />
      {f.ok && (
        <>
          <FilterForm filters={f.filters} />
          <RequestTable api={props.api} filters={f.filters} />
        </>
      )}
    </>
  );
}
