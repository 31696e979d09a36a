// The decision block of summary.json (issue 16): the cost figures (cost.ts) and the option
// recommendation (option.ts) over the closed-model scenarios, assembled once for the summary,
// the table and the report.

import {
  type CostScenario,
  type CostTarget,
  type CpuCeiling,
  cpuCeilings,
  type MemoryRow,
  memoryRows,
  type WhatItTakes,
  whatItTakes,
} from './cost.ts';
import { type OptionRecommendation, recommendOption } from './option.ts';

export interface Decision {
  /** RSS of every target at every scenario (all processes, max in the window). */
  readonly memory: readonly MemoryRow[];
  /** Slots whose CPU filled the cores the target can use: where it leaves the theory. */
  readonly cpuCeilings: readonly CpuCeiling[];
  /** Per scenario: sync workers (or threads) and their memory for N clients at about d, against async RSS. */
  readonly whatItTakes: readonly WhatItTakes[];
  readonly option: OptionRecommendation;
}

export function buildDecision(
  targets: readonly CostTarget[],
  scenarios: readonly CostScenario[],
  sloP95Ms?: number | null,
): Decision {
  const ceilings = cpuCeilings(targets, scenarios);
  return {
    memory: memoryRows(targets, scenarios),
    cpuCeilings: ceilings,
    whatItTakes: scenarios.map((s) => whatItTakes(targets, s)),
    option: recommendOption(targets, scenarios, ceilings, sloP95Ms),
  };
}
