/**
 * The benchmark's workloads, in the order they run and are reported.
 * Adding one: write it as a {@link Workload} in a file here and list it
 * below (bench/README.md, "Adding a workload").
 *
 * @module
 */

import type { Workload } from "../lib/workload.ts";
import {
  connAuthWorkload,
  connCpuWorkload,
  connReadyWorkload,
  select1CpuWorkload,
  select1RttWorkload,
} from "./connect_phases.ts";
import { initdbNoSyncWorkload, initdbWorkload, startWorkload, stopWorkload } from "./lifecycle.ts";
import { memIdleWorkload, memPerBackendWorkload, memSessionsWorkload } from "./memory.ts";
import { connectFreshWorkload, connectWorkload, select1Workloads } from "./select1.ts";

/** Every workload, in run order. */
export const WORKLOADS: readonly Workload[] = [
  initdbWorkload,
  initdbNoSyncWorkload,
  startWorkload,
  stopWorkload,
  connectWorkload,
  connectFreshWorkload,
  connAuthWorkload,
  connReadyWorkload,
  connCpuWorkload,
  ...select1Workloads,
  select1RttWorkload,
  select1CpuWorkload,
  memIdleWorkload,
  memSessionsWorkload,
  memPerBackendWorkload,
];
