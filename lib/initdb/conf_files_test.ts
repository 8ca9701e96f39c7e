import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { GUC_DEFINITIONS, type GucDefinition, loadSettings, parseConfFile } from "../config/mod.ts";
import { type HbaMethod, parseHbaFile } from "../auth/mod.ts";
import { AUTH_METHODS } from "./options.ts";
import {
  confValueText,
  initdbChosenSettings,
  pgHbaConfText,
  POSTGRESQL_AUTO_CONF_TEXT,
  postgresqlConfText,
} from "./conf_files.ts";

const defs = GUC_DEFINITIONS as readonly GucDefinition[];
const SEG = 16 * 1024 * 1024;
const conf = postgresqlConfText(initdbChosenSettings(SEG));

let dir: string;
beforeEach(async () => {
  dir = await Deno.makeTempDir({ prefix: "denogres-conf-files-test-" });
});
afterEach(async () => {
  await Deno.remove(dir, { recursive: true });
});

describe("postgresqlConfText()", () => {
  test("lists every settable parameter once, and no internal or per-session one", () => {
    const mentioned = conf.split("\n").map((l) => /^#?([a-z_]+) = /.exec(l)?.[1]).filter((n) => n !== undefined);
    const settable = defs.filter((d) => d.context !== "internal" && !d.notInSample).map((d) => d.name.toLowerCase());
    expect(mentioned.sort()).toEqual([...settable].sort());
    for (const d of defs.filter((d) => d.context === "internal")) {
      expect(conf).not.toMatch(new RegExp(`^#?${d.name} `, "m"));
    }
  });

  test("sets initdb's chosen values and comments out every other line", () => {
    const set = conf.split("\n").filter((l) => /^[a-z]/.test(l)).map((l) => l.split(/\s+#/)[0].trim());
    expect(set).toEqual([
      "max_connections = 100",
      "shared_buffers = 128MB",
      "dynamic_shared_memory_type = posix",
      "max_wal_size = 1GB",
      "min_wal_size = 80MB",
      "log_timezone = 'UTC'",
      "datestyle = 'ISO, MDY'",
      "timezone = 'UTC'",
      "lc_messages = C",
      "lc_monetary = C",
      "lc_numeric = C",
      "lc_time = C",
      "default_text_search_config = 'pg_catalog.english'",
    ]);
  });

  test("puts each parameter's description beside it and marks restart-only ones", () => {
    expect(conf).toMatch(
      /^#port = 5432 +# Sets the TCP port the server listens on\.\n +# \(change requires restart\)$/m,
    );
    expect(conf).toMatch(
      /^#checkpoint_timeout = 5min +# Sets the maximum time between automatic WAL checkpoints\.\n#/m,
    );
  });

  test("orders sections as postgresql.conf.sample does", () => {
    const sections = [...conf.matchAll(/^# ([A-Z][A-Z -]+)$/gm)].map((m) => m[1]);
    expect(sections.slice(0, 4)).toEqual([
      "CONNECTIONS AND AUTHENTICATION",
      "RESOURCE USAGE",
      "WRITE-AHEAD LOG",
      "REPORTING AND LOGGING",
    ]);
    expect(sections.indexOf("CLIENT CONNECTION DEFAULTS")).toBeLessThan(sections.indexOf("LOCK MANAGEMENT"));
    expect(sections).not.toContain("PRESET OPTIONS");
  });

  test("loads with the server's reader, giving the defaults plus initdb's choices", async () => {
    await Deno.writeTextFile(`${dir}/postgresql.conf`, conf);
    const s = await loadSettings(dir);
    expect(s.int("max_connections")).toBe(100);
    expect(s.setting("shared_buffers")).toMatchObject({ value: 16384, source: "file" });
    expect(s.str("default_text_search_config")).toBe("pg_catalog.english");
    expect(s.setting("port").source).toBe("default");
  });

  test("spells every default so that, uncommented, it loads back to the same value", async () => {
    const uncommented = conf.replace(/^#([a-z_]+ = )/gm, "$1");
    expect(parseConfFile(uncommented, "x").errors).toEqual([]);
    await Deno.writeTextFile(`${dir}/postgresql.conf`, uncommented);
    const s = await loadSettings(dir);
    const chosen = new Map(initdbChosenSettings(SEG).map((c) => [c.name, c.value]));
    for (const d of defs.filter((d) => d.context !== "internal" && !d.notInSample)) {
      expect(s.get(d.name as never), d.name).toEqual(chosen.get(d.name) ?? d.default);
      expect(s.setting(d.name as never).source, d.name).toBe("file");
    }
  });

  test("scales the WAL sizes to the segment size, as PostgreSQL's initdb", () => {
    const big = postgresqlConfText(initdbChosenSettings(64 * 1024 * 1024));
    expect(big).toMatch(/^max_wal_size = 4GB /m);
    expect(big).toMatch(/^min_wal_size = 320MB /m);
  });
});

describe("confValueText()", () => {
  const def = (name: string) => defs.find((d) => d.name === name)!;
  test("writes units, octal permissions, on/off, bare enum words and quoted strings", () => {
    expect(confValueText(def("shared_buffers"), 16384)).toBe("128MB");
    expect(confValueText(def("checkpoint_timeout"), 300)).toBe("5min");
    expect(confValueText(def("unix_socket_permissions"), 0o777)).toBe("0777");
    expect(confValueText(def("fsync"), true)).toBe("on");
    expect(confValueText(def("log_statement"), "ddl")).toBe("ddl");
    expect(confValueText(def("default_transaction_isolation"), "read committed")).toBe("'read committed'");
    expect(confValueText(def("search_path"), '"$user", public')).toBe(`'"$user", public'`);
    expect(confValueText(def("application_name"), "it's \\ here")).toBe("'it''s \\\\ here'");
    expect(confValueText(def("cluster_name"), "")).toBe("''");
  });
});

describe("pgHbaConfText()", () => {
  const records = (text: string) => text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));

  test("writes the local record and the IPv4 and IPv6 loopback host records", () => {
    expect(records(pgHbaConfText("peer" as never, "scram-sha-256"))).toEqual([
      "local   all             all                                     peer",
      "host    all             all             127.0.0.1/32            scram-sha-256",
      "host    all             all             ::1/128                 scram-sha-256",
    ]);
  });

  test("is read without error by the server's pg_hba.conf parser, for every method initdb accepts", () => {
    for (const local of AUTH_METHODS) {
      for (const host of AUTH_METHODS) {
        const { lines, errors } = parseHbaFile(pgHbaConfText(local, host));
        expect(errors).toEqual([]);
        expect(lines.map((l) => [l.connType, l.method])).toEqual([["local", local], ["host", host], ["host", host]]);
      }
    }
    // initdb offers exactly the methods the server implements.
    const serverMethods: Record<HbaMethod, true> = {
      trust: true,
      reject: true,
      password: true,
      md5: true,
      "scram-sha-256": true,
    };
    expect([...AUTH_METHODS].sort()).toEqual(Object.keys(serverMethods).sort());
  });

  test("carries PostgreSQL's caution about trust only when trust is used", () => {
    expect(pgHbaConfText("trust", "scram-sha-256")).toContain('# CAUTION: Configuring the system for local "trust"');
    expect(pgHbaConfText("scram-sha-256", "md5")).not.toContain("CAUTION");
  });
});

test("postgresql.auto.conf carries PostgreSQL's header and no setting", () => {
  expect(POSTGRESQL_AUTO_CONF_TEXT).toBe(
    "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n",
  );
  expect(parseConfFile(POSTGRESQL_AUTO_CONF_TEXT, "a").entries).toEqual([]);
});
