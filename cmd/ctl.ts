/**
 * ctl — initialises, starts, stops and controls a denogres server
 * (PostgreSQL's pg_ctl). Thin: runs ctlMain (lib/ctl). Run it through
 * bin/ctl, which gives it its permissions.
 *
 * @module
 */
import { ctlMain } from "../lib/ctl/mod.ts";

await ctlMain(Deno.args);
