// The guarantee-critical modules that `bun run mutate` measures: the files Stryker mutates, and for
// each file the test files its mutants are run against (scripts/mutate/run-tests.ts picks them per
// mutant). `bun scripts/mutate/covering-tests.ts lib/x` prints candidates: the tests that import a
// module, through test helpers and the services a test starts. A test that reaches a file only
// through the whole HTTP app is listed only where it is about that file (the request routes'
// tests for lib/requests), so one mutant runs in seconds, not minutes. Lists run fastest first:
// `--bail` stops at the first failure, so a killed mutant rarely waits for the slow files.
export interface MutationModule {
  /** Globs (Stryker `mutate`) of the files whose mutants are counted for this module. */
  mutate: string[];
  /** Test files a mutant is run against when its file has no list of its own in `byFile`. */
  tests: string[];
  /** A file's own test files: mutants in that file run these instead of `tests`. */
  byFile?: Record<string, string[]>;
}

const notTests = ["!lib/**/*.test.ts"];

/** The test files a mutant in `file` (repo-relative) is run against. */
export function testsFor(mod: MutationModule, file: string): string[] {
  return mod.byFile?.[file] ?? mod.tests;
}

/** Every test file the module names: what Stryker's dry run runs unmutated. */
export function allTests(mod: MutationModule): string[] {
  return [...new Set([...mod.tests, ...Object.values(mod.byFile ?? {}).flat()])];
}

const QUEUE_UNIT = "lib/queue/queue-ops.test.ts";
const QUEUE_PROMOTE = "lib/queue/promote-concurrency.test.ts";
const QUEUE_CONSUMER = "lib/queue/consumer.test.ts";
const QUEUE_LIFECYCLE = "lib/queue/consumer-lifecycle.test.ts";
// CLIENT PAUSE on a redis-server of its own (starts one: ~1 s more).
const QUEUE_PAUSED = "lib/queue/consumer-paused-writes.test.ts";
// The small parts on their own (keys, envelope, waits, process ids): milliseconds.
const QUEUE_PARTS = "lib/queue/queue-parts.test.ts";
// Starts real worker processes and kills them: the slowest (~8 s), so always last.
const QUEUE_PROCESSES = "lib/queue/processes.test.ts";
const SCHEDULER = "lib/scheduler/run-scheduler.test.ts";

const SUBMIT = [
  "tests/api/submit-request.test.ts",
  "tests/api/requests-errors.test.ts",
  "tests/api/requests-happy.test.ts",
  "tests/api/idempotency.test.ts",
  "tests/api/fuzz.test.ts",
  // Loses the LPUSH's reply on the wire (~2.5 s): the row-removal paths after a failed push.
  "tests/api/lost-reply.test.ts",
  // Stops Redis under the API (~2.5 s).
  "tests/api/outage.test.ts",
];
const LIST = [
  "tests/api/list.test.ts",
  "tests/api/list-pagination.test.ts",
  "tests/api/search-events.test.ts",
];
// Exports thousands of rows (~9 s): only for the files an export runs through.
const EXPORT = "tests/api/export.test.ts";

const WORKER = [
  "lib/worker/worker-outcomes.test.ts",
  "lib/worker/check-access.test.ts",
  "tests/e2e/revoke-guardrails.test.ts",
  "lib/worker/handle-request-job.test.ts",
];

export const MODULES: Record<string, MutationModule> = {
  transitions: {
    mutate: ["lib/db/transitions.ts"],
    tests: ["lib/db/transitions.test.ts", "tests/webhooks/outbox.test.ts"],
  },
  queue: {
    mutate: ["lib/queue/**/*.ts", ...notTests],
    tests: [
      QUEUE_PARTS,
      QUEUE_UNIT,
      QUEUE_PROMOTE,
      QUEUE_CONSUMER,
      QUEUE_LIFECYCLE,
      QUEUE_PAUSED,
      QUEUE_PROCESSES,
    ],
    byFile: {
      "lib/queue/promote.ts": [QUEUE_UNIT, QUEUE_PROMOTE, SCHEDULER],
      "lib/queue/schedule.ts": [QUEUE_UNIT, QUEUE_PROMOTE, SCHEDULER],
      "lib/queue/stats.ts": [QUEUE_UNIT],
      "lib/queue/check-redis-policy.ts": [QUEUE_PARTS, QUEUE_UNIT],
      "lib/queue/env.ts": ["lib/queue/env.test.ts", "services/worker/config.test.ts"],
      "lib/queue/heartbeat.ts": [
        QUEUE_UNIT,
        QUEUE_PROMOTE,
        SCHEDULER,
        QUEUE_CONSUMER,
        QUEUE_LIFECYCLE,
        QUEUE_PROCESSES,
      ],
      "lib/queue/reap.ts": [QUEUE_UNIT, QUEUE_PROMOTE, SCHEDULER, QUEUE_PROCESSES],
      "lib/queue/redis-time.ts": [QUEUE_UNIT, SCHEDULER, QUEUE_PROCESSES],
    },
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
      "lib/policy/schema.test.ts",
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
      "lib/requests/status-view.test.ts",
      "lib/requests/list-filters.test.ts",
      ...SUBMIT.slice(0, 4), // the fast submit tests, not lost-reply or outage
      "tests/api/extend.test.ts",
      ...LIST,
      "tests/api/stats.test.ts",
      "tests/api/authorization.test.ts",
      "tests/api/read-replica.test.ts",
      EXPORT,
    ],
    byFile: {
      "lib/requests/csv.ts": ["lib/requests/csv.test.ts", "tests/api/export-faults.test.ts", EXPORT],
      "lib/requests/export-requests.ts": ["tests/api/export-faults.test.ts", EXPORT],
      "lib/requests/request-summary.ts": [...LIST, EXPORT],
      "lib/requests/list-cursor.ts": ["lib/requests/list-cursor.test.ts", ...LIST],
      "lib/requests/list-requests.ts": [...LIST, "tests/api/read-roles.test.ts", "tests/api/stats.test.ts"],
      "lib/requests/list-filters.ts": [
        "lib/requests/list-filters.test.ts",
        "lib/nlq/parse.test.ts",
        ...LIST,
        "tests/api/stats.test.ts",
      ],
      "lib/requests/search-requests.ts": ["tests/api/search-events.test.ts", "tests/api/read-roles.test.ts"],
      "lib/requests/request-timeline.ts": [
        "lib/requests/request-timeline.test.ts",
        "tests/api/search-events.test.ts",
        "tests/api/webhooks-api.test.ts",
      ],
      "lib/requests/stats.ts": ["lib/requests/stats.test.ts", "tests/api/stats.test.ts"],
      "lib/requests/status-view.ts": [
        "lib/requests/status-view.test.ts",
        ...SUBMIT,
        "tests/api/read-replica.test.ts",
      ],
      "lib/requests/read-status.ts": [
        "lib/requests/read-status.test.ts",
        ...SUBMIT,
        "tests/api/read-replica.test.ts",
        "tests/api/authorization.test.ts",
      ],
      "lib/requests/submit-request.ts": SUBMIT,
      "lib/requests/request-hash.ts": [...SUBMIT, "tests/webhooks/outbox.test.ts"],
      "lib/requests/extend-grant.ts": ["tests/api/extend.test.ts", "tests/api/extend-races.test.ts"],
      "lib/requests/early-revoke.ts": [
        "tests/api/early-revoke.test.ts",
        "tests/api/authorization.test.ts",
        "tests/api/extend.test.ts",
        "tests/e2e/revoke-guardrails.test.ts",
      ],
      "lib/requests/revocation-job.ts": [
        "tests/api/authorization.test.ts",
        "tests/api/extend.test.ts",
        "lib/reconciler/reconcile.test.ts",
      ],
    },
  },
  reconciler: {
    mutate: ["lib/reconciler/**/*.ts", ...notTests],
    tests: [
      "lib/reconciler/redis-epoch.test.ts",
      "lib/reconciler/reconcile.test.ts",
      "lib/reconciler/drift-sweep.test.ts",
      SCHEDULER,
    ],
  },
  worker: {
    mutate: ["lib/worker/**/*.ts", ...notTests],
    tests: WORKER,
    byFile: {
      // Their own tests first: pure ones in milliseconds, one harness for canonical-access.
      "lib/worker/errors.ts": ["lib/worker/errors.test.ts", ...WORKER],
      "lib/worker/canonical-access.ts": ["lib/worker/canonical-access.test.ts", ...WORKER],
    },
  },
};
