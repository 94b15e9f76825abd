import { parseAllDocuments } from "yaml";

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
} & Record<string, unknown>;

/** kubectl (with its built-in kustomize), or null with the reason printed. */
export function kubectl(): string | null {
  const found = Bun.which("kubectl");
  if (!found) console.warn("SKIPPED: kubectl not found; the kustomize builds were not rendered");
  return found;
}

/** `kubectl kustomize <dir>` parsed into objects. */
export async function kustomize(bin: string, dir: string, extra: string[] = []): Promise<K8sObject[]> {
  const proc = Bun.spawn([bin, "kustomize", ...extra, dir], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${err}`);
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}
