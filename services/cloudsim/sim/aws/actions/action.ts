import type { IamStore, PrincipalKind } from "../iam-store.ts";
import type { QueryParams } from "../query-params.ts";
import type { XmlField } from "../xml.ts";

export interface ActionContext {
  store: IamStore;
  params: QueryParams;
  now: Date;
}

/** One Query API action. `run` returns the Result's children, or null for actions without output. */
export interface ActionDef {
  /** Counted in the per-action mutation counters when it succeeds. */
  mutating: boolean;
  run(ctx: ActionContext): readonly XmlField[] | null;
}

export type ActionTable = Record<string, ActionDef>;

/** The three principal kinds as IAM spells them in action and parameter names. */
export const PRINCIPAL_KINDS: readonly { kind: PrincipalKind; word: "User" | "Role" | "Group" }[] = [
  { kind: "user", word: "User" },
  { kind: "role", word: "Role" },
  { kind: "group", word: "Group" },
];

export const nameParam = (word: "User" | "Role" | "Group") => `${word}Name` as const;
