import { describe, expect, test } from "bun:test";
import { createSharedReads } from "./shared-reads.ts";

describe("shared reads (single flight)", () => {
  test("callers while a read is in flight share it and learn the tag of the caller that started it", async () => {
    const shared = createSharedReads<number>();
    let calls = 0;
    let answer: (v: number) => void = () => {};
    const read = () => {
      calls++;
      return new Promise<number>((r) => {
        answer = r;
      });
    };
    const a = shared("alice", 100, read);
    const b = shared("alice", 200, read);
    expect(calls).toBe(1);
    answer(7);
    expect(await a).toEqual({ value: 7, tag: 100 });
    expect(await b).toEqual({ value: 7, tag: 100 }); // as old as the first caller's
  });

  test("other keys read on their own, and nothing is kept once a read settles", async () => {
    const shared = createSharedReads<string>();
    let calls = 0;
    const read = async () => {
      calls++;
      return "x";
    };
    await Promise.all([shared("alice", 1, read), shared("bob", 1, read)]);
    expect(calls).toBe(2);
    expect(await shared("alice", 2, read)).toEqual({ value: "x", tag: 2 });
    expect(calls).toBe(3);
  });
});
