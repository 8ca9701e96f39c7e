/**
 * top — the live dashboard of a denogres cluster. See lib/top/README.md.
 *
 * @module
 */
import { topMain } from "../lib/top/mod.ts";

await topMain(Deno.args);
