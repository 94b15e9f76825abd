// The guarantee-critical modules that `bun run mutate` measures, each with the files Stryker mutates
// and the test files a mutant is run against. The lists are the tests that exercise the module
// directly (`bun scripts/mutate/covering-tests.ts lib/x` prints the candidates); tests that reach it
// only through the whole HTTP app are left out on purpose, so one module's run stays in minutes.
export interface MutationModule {
  /** Globs (Stryker `mutate`) of the files whose mutants are counted for this module. */
  mutate: string[];
  /** Test files every mutant of this module is run against. */
  tests: string[];
}

const notTests = ["!lib/**/*.test.ts"];

export const MODULES: Record<string, MutationModule> = {
  transitions: {
    mutate: ["lib/db/transitions.ts"],
    tests: ["lib/db/transitions.test.ts", "tests/webhooks/outbox.test.ts"],
  },
  queue: {
    mutate: ["lib/queue/**/*.ts", ...notTests],
    tests: [
      "lib/queue/consumer.test.ts",
      "lib/queue/processes.test.ts",
      "lib/queue/promote-concurrency.test.ts",
      "lib/queue/queue-ops.test.ts",
    ],
  },
  auth: {
    mutate: ["lib/auth/**/*.ts", ...notTests],
    tests: [
      "lib/auth/api-tokens.test.ts",
      "lib/auth/authorize.test.ts",
      "tests/api/authorization.test.ts",
      "tests/api/read-roles.test.ts",
    ],
  },
  policy: {
    mutate: ["lib/policy/**/*.ts", ...notTests],
    tests: [
      "lib/policy/check.test.ts",
      "lib/policy/glob.test.ts",
      "lib/policy/load.test.ts",
      "lib/policy/scope-prefix.test.ts",
      "lib/policy/webhooks-policy.test.ts",
      "tests/api/guardrails.test.ts",
    ],
  },
  requests: {
    mutate: ["lib/requests/**/*.ts", ...notTests],
    tests: [
      "lib/requests/csv.test.ts",
      "lib/requests/list-filters.test.ts",
      "lib/requests/status-view.test.ts",
      "tests/api/requests-happy.test.ts",
      "tests/api/extend.test.ts",
      "tests/api/list.test.ts",
      "tests/api/export.test.ts",
      "tests/api/idempotency.test.ts",
    ],
  },
  reconciler: {
    mutate: ["lib/reconciler/**/*.ts", ...notTests],
    tests: ["lib/reconciler/reconcile.test.ts", "lib/reconciler/drift-sweep.test.ts"],
  },
  worker: {
    mutate: ["lib/worker/**/*.ts", ...notTests],
    tests: [
      "lib/worker/check-access.test.ts",
      "lib/worker/handle-request-job.test.ts",
      "tests/e2e/revoke-guardrails.test.ts",
    ],
  },
};
