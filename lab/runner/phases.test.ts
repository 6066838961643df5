import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CellResultSchema } from "../../core/results/schema";
import { PhaseClock } from "./phases";

describe("PhaseClock", () => {
  it("adds up a phase met more than once, to the millisecond, and only the phases met", () => {
    const clock = new PhaseClock();
    clock.add("stop", 120.4);
    clock.add("stop", 80.2);
    clock.add("prepare", 12.6);
    assert.deepEqual(clock.seconds(), { stop: 0.201, prepare: 0.013 });
  });

  it("never counts a negative span", () => {
    const clock = new PhaseClock();
    clock.add("setup", -5);
    assert.deepEqual(clock.seconds(), { setup: 0 });
  });

  it("times work that throws as well as work that returns", async () => {
    const clock = new PhaseClock();
    assert.equal(await clock.time("check", async () => 42), 42);
    await assert.rejects(
      clock.time("load", async () => {
        await sleep(30);
        throw new Error("generator died");
      }),
      /generator died/,
    );
    const seconds = clock.seconds();
    assert.ok((seconds.load ?? 0) >= 0.025, `load ${seconds.load}`);
    assert.ok((seconds.check ?? 1) < 0.025, `check ${seconds.check}`);
  });
});

describe("phasesS in a cell's record", () => {
  const cell = {
    schemaVersion: 1,
    id: "0123456789abcdef",
    name: "go-native-io-1cpu-128mb-r1",
    spec: {
      revision: "r",
      runtime: "go",
      platform: "native",
      workload: "io",
      cpus: 1,
      memoryMB: 128,
      knobs: {},
      load: null,
      ttr: null,
      allowEmulation: false,
      repetition: 1,
    },
    status: "ok",
    reason: null,
    flags: [],
    startedAt: "2026-11-30T06:00:00.000Z",
    finishedAt: "2026-11-30T06:00:04.000Z",
    wallS: 4,
    ttr: null,
    load: null,
    generator: null,
    footprint: null,
    appInfo: null,
    limits: null,
    exit: null,
    rawDir: "cells/0123456789abcdef",
  };

  it("is optional (older results have none) and takes any of the phases", () => {
    assert.ok(CellResultSchema.safeParse(cell).success);
    assert.ok(CellResultSchema.safeParse({ ...cell, phasesS: { prepare: 0.02, stop: 0.3 } }).success);
  });

  it("refuses a phase it does not know and a negative time", () => {
    assert.equal(CellResultSchema.safeParse({ ...cell, phasesS: { warmup: 1 } }).success, false);
    assert.equal(CellResultSchema.safeParse({ ...cell, phasesS: { stop: -0.1 } }).success, false);
  });
});
