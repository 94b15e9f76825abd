import pkg from "../package.json" with { type: "json" };

// Set by `bun run build` (scripts/build.ts, --define): the commit a binary was built from.
declare const CSECBRIDGE_BUILD_COMMIT: string | undefined;

/** The package version, plus the commit for a compiled binary ("0.1.0+3f2c1ab"). */
export const VERSION: string =
  typeof CSECBRIDGE_BUILD_COMMIT === "string" && CSECBRIDGE_BUILD_COMMIT !== ""
    ? `${pkg.version}+${CSECBRIDGE_BUILD_COMMIT}`
    : pkg.version;
