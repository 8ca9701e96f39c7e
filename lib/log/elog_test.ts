import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  configureLogging,
  elog,
  expandLogLinePrefix,
  formatLogTime,
  type LogLevel,
  logLevelEnabled,
  setLogProcessInfo,
} from "./elog.ts";

// 2026-11-25 12:34:56.789 UTC
const T = Date.UTC(2026, 10, 25, 12, 34, 56, 789);

describe("formatLogTime()", () => {
  test("formats %m with milliseconds and %t without, in UTC", () => {
    expect(formatLogTime(T)).toBe("2026-11-25 12:34:56.789 UTC");
    expect(formatLogTime(T, false)).toBe("2026-11-25 12:34:56 UTC");
    expect(formatLogTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe("2026-01-02 03:04:05.006 UTC");
  });
});

describe("expandLogLinePrefix()", () => {
  const info = {
    backendType: "client backend",
    user: "alice",
    database: "shop",
    applicationName: "psql",
    remoteHost: "127.0.0.1",
    remotePort: 54321,
    sessionStartMs: T - 60_000,
  };

  test("expands the default prefix '%m [%p] '", () => {
    expect(expandLogLinePrefix("%m [%p] ", info, T)).toBe(`2026-11-25 12:34:56.789 UTC [${Deno.pid}] `);
  });

  test("expands PostgreSQL's session escapes", () => {
    expect(expandLogLinePrefix("%u@%d %a %h %r %b", info, T)).toBe(
      "alice@shop psql 127.0.0.1 127.0.0.1(54321) client backend",
    );
    expect(expandLogLinePrefix("%t|%s", info, T)).toBe("2026-11-25 12:34:56 UTC|2026-11-25 12:33:56 UTC");
    expect(expandLogLinePrefix("%c", info, T)).toBe(
      `${Math.floor((T - 60_000) / 1000).toString(16)}.${Deno.pid.toString(16)}`,
    );
  });

  test("expands %e to the SQLSTATE, 00000 by default, and %% to a percent sign", () => {
    expect(expandLogLinePrefix("%e %%", info, T)).toBe("00000 %");
    expect(expandLogLinePrefix("%e", info, T, "57P01")).toBe("57P01");
  });

  test("expands session escapes to nothing in a process that has no session", () => {
    expect(expandLogLinePrefix("[%u|%d|%a|%h|%r]", { backendType: "checkpointer" }, T)).toBe("[||||]");
  });

  test("drops unknown escapes, as PostgreSQL does", () => {
    expect(expandLogLinePrefix("a%Yb%", info, T)).toBe("ab%");
  });
});

describe("log level filtering", () => {
  afterEach(() => configureLogging());

  const levels: LogLevel[] = [
    "DEBUG5",
    "DEBUG4",
    "DEBUG3",
    "DEBUG2",
    "DEBUG1",
    "INFO",
    "NOTICE",
    "WARNING",
    "ERROR",
    "LOG",
    "FATAL",
    "PANIC",
  ];
  const enabledAt = (min: string) => {
    configureLogging({ logMinMessages: min });
    return levels.filter((l) => logLevelEnabled(l));
  };

  test("logs WARNING and above by default, with LOG ranked between ERROR and FATAL", () => {
    configureLogging();
    expect(levels.filter((l) => logLevelEnabled(l))).toEqual(["WARNING", "ERROR", "LOG", "FATAL", "PANIC"]);
  });

  test("at log_min_messages = log, drops ERROR but keeps LOG, FATAL and PANIC", () => {
    expect(enabledAt("log")).toEqual(["LOG", "FATAL", "PANIC"]);
  });

  test("at log_min_messages = error, keeps ERROR and LOG", () => {
    expect(enabledAt("error")).toEqual(["ERROR", "LOG", "FATAL", "PANIC"]);
  });

  test("at log_min_messages = debug5, keeps everything", () => {
    expect(enabledAt("debug5")).toEqual(levels);
  });

  test("refuses an unknown level", () => {
    expect(() => configureLogging({ logMinMessages: "chatty" })).toThrow(RangeError);
  });
});

describe("elog() to a file", () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "denogres-elog-test-" });
  });

  afterAll(async () => {
    configureLogging();
    await Deno.remove(dir, { recursive: true });
  });

  afterEach(() => configureLogging());

  test("writes PostgreSQL-shaped lines with DETAIL, HINT and STATEMENT, synchronously", () => {
    file = `${dir}/a.log`;
    configureLogging({ file, logLinePrefix: "[%p] %b: ", logMinMessages: "warning" });
    setLogProcessInfo({ backendType: "postmaster" });
    elog("LOG", "database system is ready to accept connections");
    elog("ERROR", 'relation "t" does not exist', {
      detail: "Some detail.",
      hint: "Some hint.",
      statement: "SELECT * FROM t;",
    });
    const p = `[${Deno.pid}] postmaster: `;
    expect(Deno.readTextFileSync(file)).toBe(
      `${p}LOG:  database system is ready to accept connections\n` +
        `${p}ERROR:  relation "t" does not exist\n` +
        `${p}DETAIL:  Some detail.\n` +
        `${p}HINT:  Some hint.\n` +
        `${p}STATEMENT:  SELECT * FROM t;\n`,
    );
  });

  test("puts CONTEXT after HINT and a tab after every newline inside a field (append_with_tabs)", () => {
    file = `${dir}/tabs.log`;
    configureLogging({ file, logLinePrefix: "P ", logMinMessages: "warning" });
    elog("LOG", "server process (PID 7) was terminated by signal 9: Killed", {
      detail: "Failed process was running: select 1,\n\tpg_sleep(30)",
      hint: "two\nlines",
      context: 'line 3 of configuration file "pg_hba.conf"',
      statement: "select\n1",
    });
    expect(Deno.readTextFileSync(file)).toBe(
      "P LOG:  server process (PID 7) was terminated by signal 9: Killed\n" +
        "P DETAIL:  Failed process was running: select 1,\n\t\tpg_sleep(30)\n" +
        "P HINT:  two\n\tlines\n" +
        'P CONTEXT:  line 3 of configuration file "pg_hba.conf"\n' +
        "P STATEMENT:  select\n\t1\n",
    );
  });

  test("leaves out messages below log_min_messages", () => {
    file = `${dir}/b.log`;
    configureLogging({ file, logLinePrefix: "", logMinMessages: "log" });
    elog("WARNING", "not written");
    elog("ERROR", "not written either");
    elog("DEBUG1", "nor this");
    elog("FATAL", "written");
    expect(Deno.readTextFileSync(file)).toBe("FATAL:  written\n");
  });

  test("appends to an existing file", () => {
    file = `${dir}/c.log`;
    Deno.writeTextFileSync(file, "earlier line\n");
    configureLogging({ file, logLinePrefix: "" });
    elog("LOG", "later line");
    expect(Deno.readTextFileSync(file)).toBe("earlier line\nLOG:  later line\n");
  });

  test("numbers lines with %l and puts the SQLSTATE in %e", () => {
    file = `${dir}/d.log`;
    configureLogging({ file, logLinePrefix: "%l %e " });
    elog("LOG", "one");
    elog("FATAL", "two", { sqlstate: "57P01" });
    const lines = Deno.readTextFileSync(file).trimEnd().split("\n");
    const [n1] = lines[0].split(" ");
    expect(lines[1]).toBe(`${Number(n1) + 1} 57P01 FATAL:  two`);
    expect(lines[0]).toBe(`${n1} 00000 LOG:  one`);
  });
});

describe("elog() to stderr", () => {
  test("writes to the process's stderr by default", async () => {
    const code = `import { elog, configureLogging } from "${new URL("./mod.ts", import.meta.url).href}";
configureLogging({ logLinePrefix: "<%b> " });
elog("LOG", "hello from stderr");
elog("INFO", "filtered");`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
      stdout: "piped",
      stderr: "piped",
    }).output();
    expect(new TextDecoder().decode(out.stderr)).toBe("<postmaster> LOG:  hello from stderr\n");
    expect(new TextDecoder().decode(out.stdout)).toBe("");
    expect(out.code).toBe(0);
  });
});
