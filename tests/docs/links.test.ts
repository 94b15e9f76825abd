import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

// The repository explains itself: the README links only to files in it, every relative link of
// the docs resolves (anchors included), and nothing points outside the repository.

const root = resolve(import.meta.dir, "../..");
/** Written in parallel with this work (the revocation model): allowed to be linked before it lands. */
const FORTHCOMING = new Set(["docs/revocation.md"]);

const docs = [
  "README.md",
  "manifests/README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

function withoutCode(md: string): string {
  return md.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
}

function links(md: string): string[] {
  return [...withoutCode(md).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? "");
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(md: string): Set<string> {
  return new Set(
    [...withoutCode(md).matchAll(/^#{1,6} (.+)$/gm), ...md.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] ?? "")
        .trim()
        .toLowerCase()
        .replace(/`/g, "")
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

describe("documentation links", () => {
  test("the README links only to files in the repository", async () => {
    const readme = await Bun.file(join(root, "README.md")).text();
    const found = links(readme);
    expect(found.length).toBeGreaterThanOrEqual(8);
    for (const l of found) {
      expect(l, "no links out of the repository").not.toMatch(/^[a-z]+:/i);
      const [path] = l.split("#");
      if (path && !FORTHCOMING.has(path)) expect(existsSync(join(root, path)), l).toBe(true);
    }
    for (const d of ["docs/design.md", "docs/api.md", "docs/operations.md"]) expect(found).toContain(d);
  });

  test("every relative link in the docs resolves, anchors included", async () => {
    for (const doc of docs) {
      const md = await Bun.file(join(root, doc)).text();
      for (const l of links(md)) {
        if (/^[a-z]+:/i.test(l)) continue; // an outside reference (an RFC, a draft), not a repo file
        const [path = "", anchor] = l.split("#");
        const target = path === "" ? doc : relative(root, resolve(join(root, dirname(doc)), path));
        if (FORTHCOMING.has(target) && !existsSync(join(root, target))) continue;
        expect(existsSync(join(root, target)), `${doc} → ${l}`).toBe(true);
        if (anchor && target.endsWith(".md")) {
          const have = anchors(await Bun.file(join(root, target)).text());
          expect(have.has(anchor), `${doc} → ${l}: no such heading`).toBe(true);
        }
      }
    }
  });

  test("nothing in the repository points outside it to the team's shared files", async () => {
    const proc = Bun.spawn(["git", "ls-files"], { cwd: root, stdout: "pipe" });
    const files = (await new Response(proc.stdout).text())
      .split("\n")
      .filter((f) => f !== "" && !f.endsWith(".lock"));
    const needles = [["", "work", "shared"].join("/"), ["..", "shared", ""].join("/")];
    const offenders: string[] = [];
    for (const f of files) {
      if (!existsSync(join(root, f))) continue;
      const text = await Bun.file(join(root, f)).text();
      if (needles.some((n) => text.includes(n))) offenders.push(f);
    }
    expect(offenders).toEqual([]);
  });
});
