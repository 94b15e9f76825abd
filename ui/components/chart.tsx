import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface ChartProps {
  title: string;
  /** What the chart shows, in words: its accessible name (a canvas has no text). */
  summary: string;
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  /** Extra uPlot options (axes, scales); width comes from the container, height from here. */
  options?: Partial<uPlot.Options>;
  height?: number;
}

/** The one wrapper around uPlot: every chart of the dashboard is one of these. */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = JSON.stringify(props.series.map((s) => s.label));
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(
      {
        width: Math.max(el.clientWidth, 240),
        height: props.height ?? 200,
        series: [{}, ...props.series],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        ...props.options,
      },
      props.data,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(el.clientWidth, 240), height: props.height ?? 200 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt when the series change; new data for the same series goes through setData below.
  }, [shape, props.height]);
  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}: ${props.summary}`} />
      <p class="chart-summary">{props.summary}</p>
    </figure>
  );
}
