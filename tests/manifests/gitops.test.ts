import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { setImageTag } from "../../scripts/set-image-tag.ts";
import { kubectl, kustomize } from "../helpers/manifests.ts";

const root = resolve(import.meta.dir, "../..");
const overlays = readdirSync(join(root, "manifests/overlays")).sort();
const read = async (p: string): Promise<unknown> => parse(await Bun.file(join(root, p)).text());

type Step = { name?: string; run?: string; uses?: string };
type Job = {
  needs?: string | string[];
  if?: string;
  steps: Step[];
  strategy?: { matrix: { service: string[] } };
};

describe("GitOps", () => {
  const tmp = mkdtempSync(join(tmpdir(), "csb-gitops-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("an Argo CD Application and a Flux Kustomization for each overlay, pointing at it", async () => {
    expect(overlays).toEqual(["dev", "prod"]);
    for (const env of overlays) {
      const app = (await read(`manifests/gitops/argocd/csecbridge-${env}.yaml`)) as {
        kind: string;
        spec: {
          source: { path: string; targetRevision: string };
          destination: { namespace: string };
          syncPolicy: { automated: { prune: boolean; selfHeal: boolean } };
        };
      };
      expect(app.kind).toBe("Application");
      expect(app.spec.source.path).toBe(`manifests/overlays/${env}`);
      expect(app.spec.source.targetRevision).toBe("main");
      expect(app.spec.destination.namespace).toBe("csecbridge");
      expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
      const flux = (await read(`manifests/gitops/flux/csecbridge-${env}.yaml`)) as {
        kind: string;
        spec: { path: string; sourceRef: { name: string }; prune: boolean };
      };
      expect(flux.kind).toBe("Kustomization");
      expect(flux.spec.path).toBe(`./manifests/overlays/${env}`);
      expect(flux.spec.sourceRef.name).toBe("csecbridge");
      expect(existsSync(join(root, flux.spec.path, "kustomization.yaml"))).toBe(true);
    }
    const source = (await read("manifests/gitops/flux/source.yaml")) as {
      kind: string;
      metadata: { name: string };
    };
    expect(source).toMatchObject({ kind: "GitRepository", metadata: { name: "csecbridge" } });
  });

  test("the workflow builds every deployed image, then sets the dev overlay's tags to the commit's", async () => {
    const ci = (await read(".github/workflows/ci.yml")) as { jobs: Record<string, Job> };
    const images = ci.jobs.images;
    const deploy = ci.jobs["deploy-dev"];
    expect(deploy?.needs).toBe("images");
    expect(deploy?.if).toContain("refs/heads/main");
    const runs = (deploy?.steps ?? []).map((s) => s.run ?? "").join("\n");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion in the workflow, not a JS template
    expect(runs).toContain('bun scripts/set-image-tag.ts manifests/overlays/dev "sha-${GITHUB_SHA::7}"');
    expect(runs).toContain("git push origin HEAD:main");
    // The tag format the metadata action pushes is the one the overlays are set to.
    const meta = images?.steps.find((s) => s.uses?.startsWith("docker/metadata-action")) as Step & {
      with: { tags: string };
    };
    expect(meta.with.tags).toContain("type=sha,prefix=sha-");
    // Every image an overlay deploys is built.
    const objects = await Bun.file(join(root, "manifests/overlays/prod/kustomization.yaml")).text();
    for (const m of objects.matchAll(/name: csecbridge-([a-z]+),/g)) {
      expect(images?.strategy?.matrix.service, m[1]).toContain(m[1] ?? "");
    }
    const promote = (await read(".github/workflows/promote.yml")) as { jobs: Record<string, Job> };
    const promoteRuns = promote.jobs["promote-prod"]?.steps.map((s) => s.run ?? "").join("\n") ?? "";
    expect(promoteRuns).toContain('bun scripts/set-image-tag.ts manifests/overlays/prod "$TAG"');
  });

  test("set-image-tag changes exactly the tags, and the overlay still renders with them", async () => {
    cpSync(join(root, "manifests"), join(tmp, "manifests"), { recursive: true });
    const file = join(tmp, "manifests/overlays/prod/kustomization.yaml");
    const before = await Bun.file(file).text();
    const names = await setImageTag(join(tmp, "manifests/overlays/prod"), "sha-0123abc");
    expect(names.sort()).toEqual([
      "csecbridge-api",
      "csecbridge-migrate",
      "csecbridge-scheduler",
      "csecbridge-ui",
      "csecbridge-webhooks",
      "csecbridge-worker",
    ]);
    const after = await Bun.file(file).text();
    const changed = after.split("\n").filter((l, i) => l !== before.split("\n")[i]);
    expect(changed).toHaveLength(6);
    expect(changed.every((l) => l.includes("newTag: sha-0123abc }"))).toBe(true);
    await expect(setImageTag(join(tmp, "manifests/overlays/prod"), "bad tag!")).rejects.toThrow(
      "not a valid image tag",
    );
    const bin = kubectl();
    if (!bin) return;
    const objects = await kustomize(bin, join(tmp, "manifests/overlays/prod"));
    const images = objects
      .filter((o) => o.kind === "Deployment" || o.kind === "Job")
      .flatMap(
        (o) =>
          (o.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers,
      )
      .map((c) => c.image);
    expect(images.length).toBeGreaterThanOrEqual(5);
    expect(images.every((i) => i.endsWith(":sha-0123abc"))).toBe(true);
  });
});
