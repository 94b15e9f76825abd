// Sets the tag of every csecbridge-* image of one overlay, changing nothing else in the file:
//   bun scripts/set-image-tag.ts manifests/overlays/dev sha-3f2c1ab
// CI runs it after pushing the images of a commit to main (the dev overlay follows main; prod is
// promoted by a pull request that runs it on overlays/prod). GitOps (Argo CD, Flux) applies it.
import { join } from "node:path";
import { parse } from "yaml";

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// One image per line, as the overlays write them: - { name: csecbridge-x, newName: ..., newTag: ... }
const LINE = /^(\s*-\s*\{\s*name:\s*(csecbridge-[a-z-]+)\s*,.*?newTag:\s*)([^,}\s]+)(.*)$/;

type Images = { images?: { name: string; newTag?: string; digest?: string }[] };

export async function setImageTag(overlay: string, tag: string): Promise<string[]> {
  if (!TAG.test(tag)) throw new Error(`not a valid image tag: ${JSON.stringify(tag)}`);
  const file = join(overlay, "kustomization.yaml");
  const changed: string[] = [];
  // A text edit, not a YAML round trip: comments and layout stay exactly as they were.
  const text = (await Bun.file(file).text())
    .split("\n")
    .map((line) => {
      const m = LINE.exec(line);
      if (!m) return line;
      changed.push(m[2] ?? "");
      return `${m[1]}${tag}${m[4]}`;
    })
    .join("\n");
  const images = (parse(text) as Images).images ?? [];
  const ours = images.filter((i) => i.name.startsWith("csecbridge-"));
  if (ours.length === 0 || ours.some((i) => i.newTag !== tag || i.digest !== undefined)) {
    throw new Error(
      `${file}: every csecbridge-* image must be one "- { name: …, newTag: … }" line without digest`,
    );
  }
  await Bun.write(file, text);
  return changed;
}

if (import.meta.main) {
  const [overlay, tag] = Bun.argv.slice(2);
  if (!overlay || !tag) {
    console.error("usage: bun scripts/set-image-tag.ts <overlay dir> <tag>");
    process.exit(2);
  }
  setImageTag(overlay, tag).then(
    (names) => console.log(`${overlay}: ${names.join(", ")} → ${tag}`),
    (err: unknown) => {
      console.error(`set-image-tag: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
