import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  AddUserToGroupCommand,
  GetGroupCommand,
  type IAMClient,
  ListGroupsForUserCommand,
  RemoveUserFromGroupCommand,
} from "@aws-sdk/client-iam";
import { type RunningIamSim, rejectionOf, sdkErrorView, startIamSim } from "./test-harness.ts";

let run: RunningIamSim;
let iam: IAMClient;
beforeEach(() => {
  run = startIamSim();
  iam = run.client();
});
afterEach(() => run.stop());

describe("group membership", () => {
  test("AddUserToGroup shows in GetGroup, ListGroupsForUser and the snapshot; adding again changes nothing", async () => {
    run.sim.seedUser("alice");
    run.sim.seedGroup("auditors");
    await iam.send(new AddUserToGroupCommand({ GroupName: "auditors", UserName: "alice" }));
    await iam.send(new AddUserToGroupCommand({ GroupName: "auditors", UserName: "alice" }));
    const group = await iam.send(new GetGroupCommand({ GroupName: "auditors" }));
    expect(group.Users?.map((u) => u.UserName)).toEqual(["alice"]);
    const groups = await iam.send(new ListGroupsForUserCommand({ UserName: "alice" }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(["auditors"]);
    expect(groups.Groups?.[0]?.Arn).toBe("arn:aws:iam::123456789012:group/auditors");
    const snap = run.sim.snapshot();
    expect(snap.users.alice?.groups).toEqual(["auditors"]);
    expect(snap.groups.auditors?.members).toEqual(["alice"]);
  });

  test("RemoveUserFromGroup removes; removing a non-member is NoSuchEntity", async () => {
    run.sim.seedGroup("auditors");
    run.sim.seedUser("alice", { groups: ["auditors"] });
    await iam.send(new RemoveUserFromGroupCommand({ GroupName: "auditors", UserName: "alice" }));
    expect(run.sim.snapshot().groups.auditors?.members).toEqual([]);
    const err = sdkErrorView(
      await rejectionOf(
        iam.send(new RemoveUserFromGroupCommand({ GroupName: "auditors", UserName: "alice" })),
      ),
    );
    expect(err).toMatchObject({ name: "NoSuchEntityException", code: "NoSuchEntity", status: 404 });
  });

  test("unknown group or user is NoSuchEntity naming it", async () => {
    run.sim.seedUser("alice");
    const noGroup = sdkErrorView(
      await rejectionOf(iam.send(new AddUserToGroupCommand({ GroupName: "ghosts", UserName: "alice" }))),
    );
    expect(noGroup.message).toBe("The group with name ghosts cannot be found.");
    run.sim.seedGroup("auditors");
    const noUser = sdkErrorView(
      await rejectionOf(iam.send(new AddUserToGroupCommand({ GroupName: "auditors", UserName: "bob" }))),
    );
    expect(noUser.message).toBe("The user with name bob cannot be found.");
  });

  test("ListGroupsForUser and GetGroup page with Marker/MaxItems", async () => {
    const names = ["g1", "g2", "g3", "g4", "g5"];
    for (const g of names) run.sim.seedGroup(g);
    run.sim.seedUser("alice", { groups: names });
    for (const u of ["u1", "u2", "u3"]) run.sim.seedUser(u, { groups: ["g1"] });
    const seen: string[] = [];
    let marker: string | undefined;
    let calls = 0;
    do {
      const page = await iam.send(
        new ListGroupsForUserCommand({ UserName: "alice", MaxItems: 2, Marker: marker }),
      );
      calls++;
      for (const g of page.Groups ?? []) seen.push(g.GroupName ?? "");
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);
    expect(calls).toBe(3);
    expect(seen).toEqual(names);
    const first = await iam.send(new GetGroupCommand({ GroupName: "g1", MaxItems: 3 }));
    expect(first.IsTruncated).toBe(true);
    const rest = await iam.send(new GetGroupCommand({ GroupName: "g1", MaxItems: 3, Marker: first.Marker }));
    expect([...(first.Users ?? []), ...(rest.Users ?? [])].map((u) => u.UserName)).toEqual([
      "alice",
      "u1",
      "u2",
      "u3",
    ]);
  });

  test("the eleventh group is LimitExceeded", async () => {
    const names = Array.from({ length: 11 }, (_, i) => `g${i}`);
    for (const g of names) run.sim.seedGroup(g);
    run.sim.seedUser("alice", { groups: names.slice(0, 10) });
    const err = sdkErrorView(
      await rejectionOf(iam.send(new AddUserToGroupCommand({ GroupName: "g10", UserName: "alice" }))),
    );
    expect(err).toMatchObject({ code: "LimitExceeded", status: 409 });
  });
});
