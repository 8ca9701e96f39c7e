/**
 * slot_holder.ts — a process that claims a process-array slot and publishes
 * a session, for snapshot_reader_test.ts (a stand-in for a backend while the
 * reader is tested on its own; test/top_*_test.ts use the real server).
 *
 * Usage: slot_holder.ts SEGMENT MARKER_FILE TYPE. Prints "ready" once the slot
 * is published; on SIGINT or SIGTERM writes the signal's name to MARKER_FILE
 * and exits 0. Exits when stdin closes.
 *
 * @module
 */
import {
  attachShmemSegment,
  type BackendType,
  pgstatBestart,
  pgstatCountIo,
  pgstatCountXact,
  pgstatReportActivity,
  procArrayClaimSlot,
} from "../../shmem/mod.ts";

const [name, marker, type] = Deno.args;
const seg = attachShmemSegment(name);
procArrayClaimSlot(seg, type as BackendType);
if (type === "client backend") {
  pgstatBestart(seg, {
    databaseOid: 5,
    databaseName: "postgres",
    userOid: 10,
    userName: "alice",
    applicationName: "psql",
    clientAddr: "127.0.0.1",
    clientPort: 50001,
  });
  pgstatReportActivity(seg, "active", "select pg_sleep(30)");
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    Deno.writeTextFileSync(marker, signal);
    Deno.exit(0);
  });
}
// Some activity the reader turns into rates.
setInterval(() => {
  pgstatCountIo(seg, "hits", 9);
  pgstatCountIo(seg, "reads", 1);
  pgstatCountXact(seg, true);
}, 10);
console.log("ready");
for await (const _ of Deno.stdin.readable) { /* until the test closes stdin */ }
Deno.exit(0);
