import { useRef } from "preact/hooks";
import uPlot from "uplot";
import type { Stats } from "../../lib/http/schemas/stats.ts";
import type { ApiClient } from "../api-client.ts";
import { formatClock, formatMs } from "../format.ts";
import { useLive } from "../live.ts";
import { navigate, query } from "../state.ts";
import { Chart } from "./chart.tsx";
import { ErrorNotice, Loading } from "./states.tsx";

const WINDOWS = {
  "6h": { ms: 6 * 3600_000, bucket: "PT15M", label: "6 hours" },
  "24h": { ms: 24 * 3600_000, bucket: "PT1H", label: "24 hours" },
  "7d": { ms: 7 * 86_400_000, bucket: "PT6H", label: "7 days" },
  "30d": { ms: 30 * 86_400_000, bucket: "P1D", label: "30 days" },
} as const;
type WindowKey = keyof typeof WINDOWS;

const STATUS_COLOURS: Record<string, string> = {
  SUCCESS: "#1a7f37",
  FAILED: "#b42318",
  PENDING: "#9a6700",
  PROCESSING: "#0b57d0",
};
const QUEUE_COLOURS = { aws: "#b35900", azure: "#0b57d0" } as const;
const HISTORY = 60;

/** Bars (uPlot's own path builder). */
const bars = (): uPlot.Series["paths"] => uPlot.paths.bars?.({ size: [0.7, 40] });

/** The charts of the overview, refreshed every 15 s: traffic, queues, revocations. */
export function DashboardCharts(props: { api: ApiClient }) {
  const chosen = query.value.get("chart");
  const win: WindowKey = chosen && chosen in WINDOWS ? (chosen as WindowKey) : "24h";
  const w = WINDOWS[win];
  const live = useLive<Stats>(
    () => props.api.stats({ from: new Date(Date.now() - w.ms).toISOString(), bucket: w.bucket }),
    win,
    { everyMs: 15_000 },
  );
  // Queue depth over time, as this page has watched it (the API gives the current figures).
  const history = useRef<{ t: number; aws: number; azure: number; at: string }[]>([]);
  const s = live.data;
  if (s?.queues && history.current.at(-1)?.at !== s.now) {
    history.current = [
      ...history.current,
      { t: Date.parse(s.now) / 1000, aws: s.queues.aws.depth, azure: s.queues.azure.depth, at: s.now },
    ].slice(-HISTORY);
  }
  const pick = (k: WindowKey) => {
    const p = new URLSearchParams(query.value);
    p.set("chart", k);
    navigate(`/?${p}`);
  };
  return (
    <section class="card" aria-labelledby="charts-title">
      <div class="row spread">
        <h2 id="charts-title">System</h2>
        <fieldset class="row window-pick">
          <legend class="visually-hidden">Chart window</legend>
          {(Object.keys(WINDOWS) as WindowKey[]).map((k) => (
            <button key={k} type="button" class="quiet" aria-pressed={k === win} onClick={() => pick(k)}>
              {WINDOWS[k].label}
            </button>
          ))}
        </fieldset>
      </div>
      {live.error && <ErrorNotice error={live.error} what="the charts" />}
      {!s && live.loading && <Loading what="the charts" />}
      {s && (
        <>
          <Tiles stats={s} />
          <div class="charts">
            <RequestsChart stats={s} label={w.label} />
            <QueueChart stats={s} history={history.current} />
            <DueChart stats={s} />
            <LatenessChart stats={s} />
          </div>
          {live.at && <p class="muted">Updated {formatClock(live.at)}</p>}
        </>
      )}
    </section>
  );
}

function Tiles(props: { stats: Stats }) {
  const r = props.stats.revocations;
  const q = props.stats.queues;
  const tiles: [string, string, boolean][] = [
    ["Revocations due next hour", String(r.due_next_hour), false],
    ["Open revocation obligations", String(r.open_obligations), false],
    [`Late revocations (> ${r.late_after_seconds} s)`, String(r.late), r.late > 0],
    ["Revocation lateness p99", formatMs(r.lateness.p99_ms), false],
    ["Queued (aws / azure)", q ? `${q.aws.depth} / ${q.azure.depth}` : "Redis down", q === null],
    [
      "Dead letters (aws / azure)",
      q ? `${q.aws.dead} / ${q.azure.dead}` : "—",
      (q?.aws.dead ?? 0) + (q?.azure.dead ?? 0) > 0,
    ],
  ];
  return (
    <dl class="tiles">
      {tiles.map(([label, value, alarm]) => (
        <div key={label} class={alarm ? "tile alarm" : "tile"}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function RequestsChart(props: { stats: Stats; label: string }) {
  const s = props.stats;
  const shown = s.series.filter((x) => x.counts.some((n) => n > 0));
  const total = shown.reduce((a, x) => a + x.counts.reduce((b, n) => b + n, 0), 0);
  const data: uPlot.AlignedData = [s.buckets.map((b) => Date.parse(b) / 1000), ...shown.map((x) => x.counts)];
  const byStatus = Object.entries(
    shown.reduce<Record<string, number>>((acc, x) => {
      acc[x.status] = (acc[x.status] ?? 0) + x.counts.reduce((a, n) => a + n, 0);
      return acc;
    }, {}),
  )
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return (
    <Chart
      title={`Requests over ${props.label}, by status and provider`}
      summary={total === 0 ? "no requests in this window" : `${total} requests: ${byStatus}`}
      data={data}
      series={shown.map((x) => ({
        label: `${x.provider} ${x.status}`,
        stroke: STATUS_COLOURS[x.status],
        width: 2,
        dash: x.provider === "azure" ? [6, 4] : undefined,
        points: { show: false },
      }))}
    />
  );
}

function QueueChart(props: { stats: Stats; history: { t: number; aws: number; azure: number }[] }) {
  const q = props.stats.queues;
  const h = props.history;
  const data: uPlot.AlignedData = [h.map((p) => p.t), h.map((p) => p.aws), h.map((p) => p.azure)];
  const summary = q
    ? `now aws ${q.aws.depth} queued, ${q.aws.in_flight} in flight, ${q.aws.delayed} delayed, ${q.aws.dead} dead; ` +
      `azure ${q.azure.depth} queued, ${q.azure.in_flight} in flight, ${q.azure.delayed} delayed, ${q.azure.dead} dead`
    : "queue figures unavailable (Redis does not answer)";
  return (
    <Chart
      title="Queue depth (since this page opened)"
      summary={summary}
      data={data}
      series={[
        { label: "aws queued", stroke: QUEUE_COLOURS.aws, width: 2 },
        { label: "azure queued", stroke: QUEUE_COLOURS.azure, width: 2, dash: [6, 4] },
      ]}
      // A single reading still gets a sensible time axis: the last five minutes up to it.
      options={{
        scales: { x: { range: (_u, min, max) => (min === max ? [min - 300, max + 30] : [min, max]) } },
      }}
    />
  );
}

function DueChart(props: { stats: Stats }) {
  const d = props.stats.revocations.due_soon;
  const now = Date.parse(props.stats.now) / 1000;
  const data: uPlot.AlignedData = [d.counts.map((_, i) => now + i * d.bucket_seconds), d.counts];
  const total = d.counts.reduce((a, b) => a + b, 0);
  return (
    <Chart
      title="Revocations coming due (next hour, per 5 min)"
      summary={`${total} due in the next hour`}
      data={data}
      series={[
        {
          label: "due",
          stroke: "#6b3fa0",
          fill: "rgba(107,63,160,0.35)",
          paths: bars(),
          points: { show: false },
        },
      ]}
    />
  );
}

function LatenessChart(props: { stats: Stats }) {
  const l = props.stats.revocations.lateness;
  const labels = l.histogram.map((b, i) => {
    const prev = i === 0 ? 0 : (l.histogram[i - 1]?.le_ms ?? 0);
    return b.le_ms === null ? `≥ ${formatMs(prev)}` : `< ${formatMs(b.le_ms)}`;
  });
  const data: uPlot.AlignedData = [l.histogram.map((_, i) => i), l.histogram.map((b) => b.count)];
  return (
    <Chart
      title="Revocation lateness (revoked in this window)"
      summary={
        l.revoked === 0
          ? "no revocations in this window"
          : `${l.revoked} revoked; p50 ${formatMs(l.p50_ms)}, p99 ${formatMs(l.p99_ms)}, max ${formatMs(l.max_ms)}`
      }
      data={data}
      series={[
        {
          label: "revocations",
          stroke: "#4b5563",
          fill: "rgba(75,85,99,0.35)",
          paths: bars(),
          points: { show: false },
        },
      ]}
      options={{
        scales: { x: { time: false } },
        axes: [{ values: (_u, ticks) => ticks.map((t) => labels[t] ?? ""), incrs: [1] }, {}],
      }}
    />
  );
}
