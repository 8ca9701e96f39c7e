import { describe, expect, test } from "vitest";
import { Option } from "@commander-js/extra-typings";
import { newProgram, pgOptionTerm, usePgStyleHelp } from "./mod.ts";

describe("pgOptionTerm()", () => {
  test("writes terms as PostgreSQL's usage texts do", () => {
    const term = (flags: string) => pgOptionTerm(new Option(flags));
    expect(term("-A, --auth <method>")).toBe("-A, --auth=METHOD");
    expect(term("--auth-host <method>")).toBe("    --auth-host=METHOD");
    expect(term("-k, --data-checksums")).toBe("-k, --data-checksums");
    expect(term("--no-instructions")).toBe("    --no-instructions");
    expect(term("-L <directory>")).toBe("-L DIRECTORY");
    expect(term("--log [file]")).toBe("    --log[=FILE]");
    expect(term("--wal-segsize <size-mb>")).toBe("    --wal-segsize=SIZE_MB");
  });
});

describe("usePgStyleHelp()", () => {
  const program = newProgram("demo", "does things")
    .option("-A, --auth <method>", "default authentication method")
    .option("--a-rather-long-option-name <value>", "described on the next line")
    .addOption(new Option("-n, --no-clean", "do not clean up after errors").helpGroup("Less commonly used options:"));
  usePgStyleHelp(program, {
    summary: "demo does things.",
    usage: ["demo [OPTION]... [DATADIR]"],
    footer: "Environment: PGDATA.",
  });

  test("prints summary, usage, option groups with --help/--version last, and the footer", () => {
    expect(program.helpInformation()).toBe(
      `demo does things.

Usage:
  demo [OPTION]... [DATADIR]

Options:
  -A, --auth=METHOD         default authentication method
      --a-rather-long-option-name=VALUE
                            described on the next line

Less commonly used options:
  -n, --no-clean            do not clean up after errors

Other options:
  -V, --version             output version information, then exit
  -?, --help                show this help, then exit

Environment: PGDATA.
`,
    );
  });
});
