import type { ListFilters } from "../requests/list-filters.ts";

/**
 * The parser's specification by example: each phrasing with the exact filters and the exact
 * unknown words it must give. parse.test.ts runs every case.
 */
export interface CorpusCase {
  q: string;
  /** The reference instant (ISO 8601). */
  now: string;
  /** The caller's time zone; UTC when absent. */
  tz?: string;
  filters: ListFilters;
  unknown: string[];
}

type Row = [q: string, filters: ListFilters, unknown?: string[]];

function group(at: { now: string; tz?: string }, rows: Row[]): CorpusCase[] {
  return rows.map(([q, filters, unknown = []]) => ({ q, ...at, filters, unknown }));
}

/** Monday 2026-11-30, 10:00 UTC. */
const MON = { now: "2026-11-30T10:00:00.000Z" };
/** Wednesday 2026-12-02, 15:30 UTC. */
const WED = { now: "2026-12-02T15:30:00.000Z" };

const Z = (s: string) => `${s}.000Z`;
/** A UTC calendar day. */
const utcDay = (d: string) => ({
  from: Z(`${d}T00:00:00`),
  to: new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString(),
});

const aws = { in: ["aws" as const] };
const azure = { in: ["azure" as const] };
const FAILED = { in: ["FAILED" as const] };
const grant = { in: ["grant" as const] };
const revoke = { in: ["revoke" as const] };
const scheduled = { in: ["SCHEDULED" as const] };

const basics = group(MON, [
  [
    "show me all failed requests for AWS yesterday",
    { status: FAILED, provider: aws, ...utcDay("2026-11-29") },
  ],
  ["what is pending", { status: { in: ["PENDING"] } }],
  ["list all requests", {}],
  ["", {}],
  ["   ", {}],
  ["find any azure requests", { provider: azure }],
  ["are there any stuck requests?", { stuck: true }],
  ["show me the errors", { status: FAILED }],
  ["failures", { status: FAILED }],
  ["what's failing on aws", { status: FAILED, provider: aws }],
  ["errored", { status: FAILED }],
  ["unsuccessful amazon requests", { status: FAILED, provider: aws }],
  ["succeeded", { status: { in: ["SUCCESS"] } }],
  ["successful grants", { status: { in: ["SUCCESS"] }, action: grant }],
  ["granted", { status: { in: ["SUCCESS"] }, action: grant }],
  ["in progress", { status: { in: ["PROCESSING"] } }],
  ["in-progress azure", { status: { in: ["PROCESSING"] }, provider: azure }],
  ["running jobs", { status: { in: ["PROCESSING"] } }, ["jobs"]],
  ["queued", { status: { in: ["PENDING"] } }],
  ["waiting requests on microsoft", { status: { in: ["PENDING"] }, provider: azure }],
  ["stuck", { stuck: true }],
  ["stuck aws requests", { stuck: true, provider: aws }],
  ["what is stuck in progress", { stuck: true, status: { in: ["PROCESSING"] } }],
  ["revoked", { revocation_status: { in: ["REVOKED"] } }],
  ["skipped", { revocation_status: { in: ["SKIPPED"] } }],
  ["active grants", { action: grant, revocation_status: scheduled }],
  ["Entra requests", { provider: azure }],
  ["microsoft entra id", { provider: azure }],
  ["entra id failures", { provider: azure, status: FAILED }],
  ["azure ad", { provider: azure }],
  ["amazon web services", { provider: aws }],
  ["FAILED AWS", { status: FAILED, provider: aws }],
  ["ＡＷＳ", { provider: aws }],
  ["failed, pending; aws.", { status: { in: ["PENDING", "FAILED"] }, provider: aws }],
  ["status = FAILED · provider = aws", { status: FAILED, provider: aws }],
  ["status: failed", { status: FAILED }],
]);

const conflictsAndNegation = group(MON, [
  ["aws azure", { provider: { in: ["aws", "azure"] } }],
  ["aws and azure", { provider: { in: ["aws", "azure"] } }],
  ["failed succeeded", { status: { in: ["SUCCESS", "FAILED"] } }],
  ["failed or pending", { status: { in: ["PENDING", "FAILED"] } }],
  ["not azure", { provider: { not_in: ["azure"] } }],
  ["except aws", { provider: { not_in: ["aws"] } }],
  ["non-aws", { provider: { not_in: ["aws"] } }],
  ["non aws", { provider: { not_in: ["aws"] } }],
  ["excluding failed", { status: { not_in: ["FAILED"] } }],
  ["failed but not azure", { status: FAILED, provider: { not_in: ["azure"] } }],
  ["not aws or azure", { provider: { not_in: ["aws", "azure"] } }],
  ["excluding failed and pending", { status: { not_in: ["PENDING", "FAILED"] } }],
  ["without errors", { status: { not_in: ["FAILED"] } }],
  ["other than azure", { provider: { not_in: ["azure"] } }],
  ["non-failed grants", { status: { not_in: ["FAILED"] }, action: grant }],
  ["aws not pending", { provider: aws, status: { not_in: ["PENDING"] } }],
  ["everything except for the aws ones", { provider: { not_in: ["aws"] } }, ["everything", "ones"]],
  ["aws azure except azure", { provider: aws }],
  ["not grants", { action: { not_in: ["grant"] } }],
  // Both asked for and excluded: the exclusion is not applied, and said so.
  ["aws except aws", { provider: aws }, ["except", "aws"]],
  ["failed not failed", { status: FAILED }, ["not", "failed"]],
  // A chip typed back in: "≠" and its ASCII spellings exclude.
  ["provider ≠ azure", { provider: { not_in: ["azure"] } }],
  ["status != FAILED", { status: { not_in: ["FAILED"] } }],
  ["provider <> aws", { provider: { not_in: ["aws"] } }],
  ["revocation_status ≠ REVOKED", { revocation_status: { not_in: ["REVOKED"] } }, ["revocation_status"]],
  ["≠", {}, ["≠"]],
  // A negation with nothing it can apply to.
  ["not", {}, ["not"]],
  ["not alice", {}, ["not", "alice"]],
  ["not today", utcDay("2026-11-30"), ["not"]],
  ["non-alice", {}, ["non-alice"]],
]);

const times = group(MON, [
  ["today", utcDay("2026-11-30")],
  ["yesterday", utcDay("2026-11-29")],
  ["failed yesterday", { status: FAILED, ...utcDay("2026-11-29") }],
  ["today's failures", { status: FAILED, ...utcDay("2026-11-30") }],
  ["last 3 hours", { from: Z("2026-11-30T07:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["past 24 hours", { from: Z("2026-11-29T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["last 24h", { from: Z("2026-11-29T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["within the last 15 minutes", { from: Z("2026-11-30T09:45:00"), to: Z("2026-11-30T10:00:00") }],
  ["last 90 mins", { from: Z("2026-11-30T08:30:00"), to: Z("2026-11-30T10:00:00") }],
  ["in the past hour", { from: Z("2026-11-30T09:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["last hour", { from: Z("2026-11-30T09:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["past week", { from: Z("2026-11-23T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["in the last 7 days", { from: Z("2026-11-23T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["over the past 3 days", { from: Z("2026-11-27T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["last two weeks", { from: Z("2026-11-16T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["past month", { from: Z("2026-10-30T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["last 2 months", { from: Z("2026-09-30T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["last 7d", { from: Z("2026-11-23T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["last week", { from: Z("2026-11-23T00:00:00"), to: Z("2026-11-30T00:00:00") }],
  ["this week", { from: Z("2026-11-30T00:00:00"), to: Z("2026-12-07T00:00:00") }],
  ["this month", { from: Z("2026-11-01T00:00:00"), to: Z("2026-12-01T00:00:00") }],
  ["last month", { from: Z("2026-10-01T00:00:00"), to: Z("2026-11-01T00:00:00") }],
  ["previous month", { from: Z("2026-10-01T00:00:00"), to: Z("2026-11-01T00:00:00") }],
  ["this year", { from: Z("2026-01-01T00:00:00"), to: Z("2027-01-01T00:00:00") }],
  ["since Monday", { from: Z("2026-11-30T00:00:00") }],
  ["since friday", { from: Z("2026-11-27T00:00:00") }],
  ["since yesterday", { from: Z("2026-11-29T00:00:00") }],
  ["since 10am", { from: Z("2026-11-30T10:00:00") }],
  ["since 2 hours ago", { from: Z("2026-11-30T08:00:00") }],
  ["since 2026-11-28T14:30:00Z", { from: Z("2026-11-28T14:30:00") }],
  ["on 2026-11-28", utcDay("2026-11-28")],
  ["2026-11-28", utcDay("2026-11-28")],
  ["on monday", utcDay("2026-11-30")],
  ["last friday", utcDay("2026-11-27")],
  ["Nov 28", utcDay("2026-11-28")],
  ["28 November 2026", utcDay("2026-11-28")],
  ["on november 28th", utcDay("2026-11-28")],
  ["nov 28, 2026", utcDay("2026-11-28")],
  ["11/28/2026", utcDay("2026-11-28")],
  // No year and still ahead this year: the last one that happened.
  ["December 5", utcDay("2025-12-05")],
  ["in march", { from: Z("2026-03-01T00:00:00"), to: Z("2026-04-01T00:00:00") }],
  ["yesterday at 10am", { from: Z("2026-11-29T10:00:00"), to: Z("2026-11-29T11:00:00") }],
  ["2026-11-28 14:30", { from: Z("2026-11-28T14:30:00"), to: Z("2026-11-28T14:31:00") }],
  ["3 days ago", utcDay("2026-11-27")],
  ["between 2026-11-01 and 2026-11-05", { from: Z("2026-11-01T00:00:00"), to: Z("2026-11-06T00:00:00") }],
  ["from 2026-11-01 to 2026-11-03", { from: Z("2026-11-01T00:00:00"), to: Z("2026-11-04T00:00:00") }],
  ["2026-11-01 - 2026-11-03", { from: Z("2026-11-01T00:00:00"), to: Z("2026-11-04T00:00:00") }],
  ["2026-11-01 – 2026-11-03", { from: Z("2026-11-01T00:00:00"), to: Z("2026-11-04T00:00:00") }],
  ["from friday to monday", { from: Z("2026-11-27T00:00:00"), to: Z("2026-12-01T00:00:00") }],
  ["between nov 28 and dec 2", { from: Z("2026-11-28T00:00:00"), to: Z("2026-12-03T00:00:00") }],
  ["from dec 30 to jan 2", { from: Z("2025-12-30T00:00:00"), to: Z("2026-01-03T00:00:00") }],
  ["before 2026-11-01", { to: Z("2026-11-01T00:00:00") }],
  ["after 2026-11-28", { from: Z("2026-11-29T00:00:00") }],
  ["until yesterday", { to: Z("2026-11-30T00:00:00") }],
  ["before noon", { to: Z("2026-11-30T12:00:00") }],
  ["from yesterday until now", { from: Z("2026-11-29T00:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["received yesterday", utcDay("2026-11-29")],
  // Windows that touch add up; open bounds narrow; a window apart from the others is not guessed.
  ["yesterday or today", { from: Z("2026-11-29T00:00:00"), to: Z("2026-12-01T00:00:00") }],
  ["last week before friday", { from: Z("2026-11-23T00:00:00"), to: Z("2026-11-27T00:00:00") }],
  ["friday monday", utcDay("2026-11-27"), ["monday"]],
  ["submitted in the last 3 hours", { from: Z("2026-11-30T07:00:00"), to: Z("2026-11-30T10:00:00") }],
  // Not understood rather than guessed.
  ["2 hours ago", {}, ["2", "hours", "ago"]],
  ["03/04", {}, ["03/04"]],
  ["last 0 days", {}, ["last", "0", "days"]],
  ["in the last 7 dayz", {}, ["last", "7", "dayz"]],
  ["this morning", {}, ["this", "morning"]],
  ["yesterdy", {}, ["yesterdy"]],
  ["since", {}, ["since"]],
  // Its end (year 10000) has no ISO 8601 form with four year digits.
  ["9999-12-31", {}, ["9999-12-31"]],
  ["between monday", { from: Z("2026-11-30T00:00:00"), to: Z("2026-12-01T00:00:00") }, ["between"]],
]);

const wednesday = group(WED, [
  ["since monday", { from: Z("2026-11-30T00:00:00") }],
  ["since monday before wednesday", { from: Z("2026-11-30T00:00:00"), to: Z("2026-12-02T00:00:00") }],
  ["on monday", utcDay("2026-11-30")],
  ["last wednesday", utcDay("2026-11-25")],
  ["wednesday", utcDay("2026-12-02")],
  ["sunday", utcDay("2026-11-29")],
  ["this week", { from: Z("2026-11-30T00:00:00"), to: Z("2026-12-07T00:00:00") }],
  ["last week", { from: Z("2026-11-23T00:00:00"), to: Z("2026-11-30T00:00:00") }],
  ["last 3 hours", { from: Z("2026-12-02T12:30:00"), to: Z("2026-12-02T15:30:00") }],
  ["this month", { from: Z("2026-12-01T00:00:00"), to: Z("2027-01-01T00:00:00") }],
  ["last month", { from: Z("2026-11-01T00:00:00"), to: Z("2026-12-01T00:00:00") }],
  ["monday at 10:30", { from: Z("2026-11-30T10:30:00"), to: Z("2026-11-30T10:31:00") }],
]);

const zones: CorpusCase[] = [
  ...group({ ...MON, tz: "Europe/Berlin" }, [
    // Berlin's yesterday, as UTC instants (CET is UTC+1 in November).
    ["yesterday", { from: Z("2026-11-28T23:00:00"), to: Z("2026-11-29T23:00:00") }],
    [
      "failed aws requests today",
      { status: FAILED, provider: aws, from: Z("2026-11-29T23:00:00"), to: Z("2026-11-30T23:00:00") },
    ],
    ["since monday", { from: Z("2026-11-29T23:00:00") }],
    ["this month", { from: Z("2026-10-31T23:00:00"), to: Z("2026-11-30T23:00:00") }],
    ["on 2026-11-28 14:30", { from: Z("2026-11-28T13:30:00"), to: Z("2026-11-28T13:31:00") }],
    // A zone written in the text wins over the caller's.
    ["10:00 UTC", { from: Z("2026-11-30T10:00:00"), to: Z("2026-11-30T11:00:00") }],
    ["last 3 hours", { from: Z("2026-11-30T07:00:00"), to: Z("2026-11-30T10:00:00") }],
  ]),
  ...group({ now: "2026-11-30T20:00:00.000Z", tz: "Asia/Tokyo" }, [
    // 05:00 on 1 December in Tokyo: its yesterday is 30 November.
    ["yesterday", { from: Z("2026-11-29T15:00:00"), to: Z("2026-11-30T15:00:00") }],
    ["today", { from: Z("2026-11-30T15:00:00"), to: Z("2026-12-01T15:00:00") }],
    ["this month", { from: Z("2026-11-30T15:00:00"), to: Z("2026-12-31T15:00:00") }],
  ]),
  ...group({ now: "2026-11-30T05:00:00.000Z", tz: "America/Los_Angeles" }, [
    // 21:00 on 29 November in Los Angeles.
    ["yesterday", { from: Z("2026-11-28T08:00:00"), to: Z("2026-11-29T08:00:00") }],
    ["since sunday", { from: Z("2026-11-29T08:00:00") }],
  ]),
  ...group({ ...MON, tz: "Asia/Kolkata" }, [
    ["today", { from: Z("2026-11-29T18:30:00"), to: Z("2026-11-30T18:30:00") }],
    ["December 5", { from: Z("2025-12-04T18:30:00"), to: Z("2025-12-05T18:30:00") }],
  ]),
  ...group({ ...MON, tz: "Pacific/Chatham" }, [
    // UTC+13:45 in (southern) summer: already 23:45 on 30 November.
    ["today", { from: Z("2026-11-29T10:15:00"), to: Z("2026-11-30T10:15:00") }],
  ]),
  ...group({ ...MON, tz: "utc" }, [["today", utcDay("2026-11-30")]]),
  // DST, New York: Monday 2026-03-09 10:00 EDT, the day after clocks went forward.
  ...group({ now: "2026-03-09T14:00:00.000Z", tz: "America/New_York" }, [
    // A 23-hour day.
    ["yesterday", { from: Z("2026-03-08T05:00:00"), to: Z("2026-03-09T04:00:00") }],
    // Seven calendar days, same wall-clock time: 167 hours.
    ["last 7 days", { from: Z("2026-03-02T15:00:00"), to: Z("2026-03-09T14:00:00") }],
    // Hours are exact.
    ["last 24 hours", { from: Z("2026-03-08T14:00:00"), to: Z("2026-03-09T14:00:00") }],
    ["this month", { from: Z("2026-03-01T05:00:00"), to: Z("2026-04-01T04:00:00") }],
    ["last week", { from: Z("2026-03-02T05:00:00"), to: Z("2026-03-09T04:00:00") }],
    // 02:30 did not happen that night: the moment after the gap, 03:30 EDT.
    ["2026-03-08 02:30", { from: Z("2026-03-08T07:30:00"), to: Z("2026-03-08T07:31:00") }],
  ]),
  // DST, New York: Monday 2026-11-02 09:00 EST, the day after clocks went back.
  ...group({ now: "2026-11-02T14:00:00.000Z", tz: "America/New_York" }, [
    // A 25-hour day.
    ["yesterday", { from: Z("2026-11-01T04:00:00"), to: Z("2026-11-02T05:00:00") }],
    ["since sunday", { from: Z("2026-11-01T04:00:00") }],
    // 01:30 happened twice: the first one (EDT).
    ["2026-11-01 01:30", { from: Z("2026-11-01T05:30:00"), to: Z("2026-11-01T05:31:00") }],
  ]),
  // DST, Berlin: clocks went forward on Sunday 2026-03-29.
  ...group({ now: "2026-03-30T08:00:00.000Z", tz: "Europe/Berlin" }, [
    ["yesterday", { from: Z("2026-03-28T23:00:00"), to: Z("2026-03-29T22:00:00") }],
    ["past week", { from: Z("2026-03-23T09:00:00"), to: Z("2026-03-30T08:00:00") }],
  ]),
];

const expiry = group(MON, [
  [
    "expiring",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-11-30T10:00:00"),
      expires_to: Z("2026-12-01T10:00:00"),
    },
  ],
  [
    "expiring soon",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-11-30T10:00:00"),
      expires_to: Z("2026-12-01T10:00:00"),
    },
  ],
  [
    "grants expiring today",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-11-30T00:00:00"),
      expires_to: Z("2026-12-01T00:00:00"),
    },
  ],
  [
    "expiring tomorrow",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-12-01T00:00:00"),
      expires_to: Z("2026-12-02T00:00:00"),
    },
  ],
  [
    "expiring in the next 2 hours",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-11-30T10:00:00"),
      expires_to: Z("2026-11-30T12:00:00"),
    },
  ],
  [
    "expiring within 3 days",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-11-30T10:00:00"),
      expires_to: Z("2026-12-03T10:00:00"),
    },
  ],
  [
    "expiring this week",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-11-30T00:00:00"),
      expires_to: Z("2026-12-07T00:00:00"),
    },
  ],
  [
    "grants expiring next week",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-12-07T00:00:00"),
      expires_to: Z("2026-12-14T00:00:00"),
    },
  ],
  [
    // A weekday after "expiring" is the coming one.
    "aws grants expiring on friday",
    {
      provider: aws,
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-12-04T00:00:00"),
      expires_to: Z("2026-12-05T00:00:00"),
    },
  ],
  [
    "expiring in december",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-12-01T00:00:00"),
      expires_to: Z("2027-01-01T00:00:00"),
    },
  ],
  [
    "expires before friday",
    { action: grant, revocation_status: scheduled, expires_to: Z("2026-12-04T00:00:00") },
  ],
  [
    "expiring tomorrow received today",
    {
      action: grant,
      revocation_status: scheduled,
      expires_from: Z("2026-12-01T00:00:00"),
      expires_to: Z("2026-12-02T00:00:00"),
      ...utcDay("2026-11-30"),
    },
  ],
  ["expired", { action: grant, expires_to: Z("2026-11-30T10:00:00") }],
  [
    "expired yesterday",
    { action: grant, expires_from: Z("2026-11-29T00:00:00"), expires_to: Z("2026-11-30T00:00:00") },
  ],
  [
    "expired in the last 3 days",
    { action: grant, expires_from: Z("2026-11-27T10:00:00"), expires_to: Z("2026-11-30T10:00:00") },
  ],
  [
    "grants for alice expired on friday",
    {
      action: grant,
      principal: ["alice"],
      expires_from: Z("2026-11-27T00:00:00"),
      expires_to: Z("2026-11-28T00:00:00"),
    },
  ],
  ["active grants for alice", { action: grant, revocation_status: scheduled, principal: ["alice"] }],
  ["expirng", {}, ["expirng"]],
]);

const GUID = "3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b";

const principals = group(MON, [
  ["for alice", { principal: ["alice"] }],
  ["for Alice", { principal: ["Alice"] }],
  ["user alice", { principal: ["user/alice"] }],
  ["requests for user alice", { principal: ["user/alice"] }],
  ["role batch-runner", { principal: ["role/batch-runner"] }],
  ["group developers", { principal: ["group/developers"] }],
  ["principal alice", { principal: ["alice"] }],
  ["for alice or bob", { principal: ["alice", "bob"] }],
  ["for alice and role deployer", { principal: ["alice", "role/deployer"] }],
  [
    "failed grants for alice@example.com",
    { status: FAILED, action: grant, principal: ["alice@example.com"] },
  ],
  [GUID, { principal: [GUID] }],
  [`user ${GUID.toUpperCase()}`, { principal: [GUID] }],
  [`service principal ${GUID}`, { principal: [GUID] }],
  [`azure grants for ${GUID}`, { provider: azure, action: grant, principal: [GUID] }],
  ["granted to bob", { status: { in: ["SUCCESS"] }, action: grant, principal: ["bob"] }],
  ["for aws", { provider: aws }],
  ["for the last 3 days", { from: Z("2026-11-27T10:00:00"), to: Z("2026-11-30T10:00:00") }],
  ["for yesterday", utcDay("2026-11-29")],
  ["for", {}],
  ["user", {}, ["user"]],
  ["role", {}, ["role"]],
  // One typo away from a known word: not taken for a name.
  ["for azrue", {}, ["azrue"]],
  ["falied requests for azrue", {}, ["falied", "azrue"]],
  ["for mondy", {}, ["mondy"]],
  // An explicit key takes the word anyway.
  ["user azrue", { principal: ["user/azrue"] }],
  [
    "pending for alice on aws since yesterday",
    { status: { in: ["PENDING"] }, principal: ["alice"], provider: aws, from: Z("2026-11-29T00:00:00") },
  ],
]);

const tickets = group(MON, [
  ["CHG-1234", { ticket: ["CHG-1234"] }],
  ["chg-1234", { ticket: ["CHG-1234"] }],
  ["INC0012345", { ticket: ["INC0012345"] }],
  ["RITM0012345 failed", { ticket: ["RITM0012345"], status: FAILED }],
  ["ticket 4711", { ticket: ["4711"] }],
  ["ticket X-99", { ticket: ["X-99"] }],
  ["ABC-123 failed", { ticket: ["ABC-123"], status: FAILED }],
  ["tickets CHG-1 or CHG-2", { ticket: ["CHG-1", "CHG-2"] }],
  ["failed requests for ticket CHG-777", { status: FAILED, ticket: ["CHG-777"] }],
  ["for CHG-1234", { ticket: ["CHG-1234"] }],
  ["ticket", {}, ["ticket"]],
  ["CHG0030001", { ticket: ["CHG0030001"] }],
  ["INC12", {}, ["INC12"]],
]);

const clients = group(MON, [
  ["from client hr", { client: ["hr"] }],
  ["client mainframe", { client: ["mainframe"] }],
  ["by ticketing", { client: ["ticketing"] }],
  ["from hr", { client: ["hr"] }],
  ["via mainframe", { client: ["mainframe"] }],
  ["requests by hr yesterday", { client: ["hr"], ...utcDay("2026-11-29") }],
  ["submitted by ticketing", { client: ["ticketing"] }],
  ["requested by bob", { client: ["bob"] }],
  ["by aws", { provider: aws }],
  ["clients hr or ticketing", { client: ["hr", "ticketing"] }],
  [
    "failed grants from client hr for alice",
    { status: FAILED, action: grant, client: ["hr"], principal: ["alice"] },
  ],
  ["client aws1", { client: ["aws1"] }],
  ["client", {}, ["client"]],
]);

const actions = group(MON, [
  ["grants", { action: grant }],
  ["revocations", { action: revoke }],
  ["revokes on azure", { action: revoke, provider: azure }],
  ["grant and revoke", { action: { in: ["grant", "revoke"] } }],
  ["revoke requests that failed", { action: revoke, status: FAILED }],
  ["failed revocations", { revocation_status: FAILED }],
  ["revocation failed", { revocation_status: FAILED }],
  ["failed to revoke", { revocation_status: FAILED }],
  ["skipped revocations", { revocation_status: { in: ["SKIPPED"] } }],
  ["scheduled revocations", { revocation_status: scheduled }],
  [
    "revocation failures last week",
    { revocation_status: FAILED, from: Z("2026-11-23T00:00:00"), to: Z("2026-11-30T00:00:00") },
  ],
  ["revoked grants on aws", { revocation_status: { in: ["REVOKED"] }, action: grant, provider: aws }],
  ["failed revoke requests", { status: FAILED, action: revoke }],
  ["revocations that failed", { status: FAILED, action: revoke }],
  // There is no revoked_at filter: a time is about received_at, and the chip says so.
  ["revoked yesterday", { revocation_status: { in: ["REVOKED"] }, ...utcDay("2026-11-29") }],
]);

const text = group(MON, [
  ['"quarterly audit"', { text: ["quarterly audit"] }],
  ['failed "db migration" aws', { status: FAILED, text: ["db migration"], provider: aws }],
  ["containing migration", { text: ["migration"] }],
  ["\u201csmart quotes\u201d", { text: ["smart quotes"] }],
  ['"a" "b"', { text: ["a", "b"] }],
  ['unclosed "quote', {}, ["unclosed", "quote"]],
  ['""', {}],
]);

const typos = group(MON, [
  ["falied", {}, ["falied"]],
  ["azrue requests", {}, ["azrue"]],
  ["pendng grants", { action: grant }, ["pendng"]],
  ["show me amazn", {}, ["amazn"]],
  ["succesful", {}, ["succesful"]],
  ["revoekd", {}, ["revoekd"]],
  ["faild aws", { provider: aws }, ["faild"]],
  ["awz failed", { status: FAILED }, ["awz"]],
  ["🔥 failed", { status: FAILED }, ["🔥"]],
  ["Zürich failed", { status: FAILED }, ["Zürich"]],
  ["gimme failed stuff", { status: FAILED }, ["gimme", "stuff"]],
  ["how many failed", { status: FAILED }, ["how", "many"]],
]);

export const CORPUS: readonly CorpusCase[] = [
  ...basics,
  ...conflictsAndNegation,
  ...times,
  ...wednesday,
  ...zones,
  ...expiry,
  ...principals,
  ...tickets,
  ...clients,
  ...actions,
  ...text,
  ...typos,
];
