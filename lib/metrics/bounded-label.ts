/**
 * A label value taken from outside (a cloud's error code) with bounded cardinality: values are
 * cleaned to a short token, the first `max` distinct ones are kept as they are, and every later
 * newcomer becomes "other". A cloud that starts returning a new code every call cannot blow up
 * Prometheus; the codes seen first (the common ones) stay readable.
 */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const clean = value.replace(/[^A-Za-z0-9_.:-]/g, "").slice(0, 64) || "unknown";
    if (seen.has(clean)) return clean;
    if (seen.size >= max) return "other";
    seen.add(clean);
    return clean;
  };
}
