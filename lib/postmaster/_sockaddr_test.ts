import { describe, expect, test } from "vitest";
import { decodeSockaddr, encodeInetSockaddr, encodeUnixSockaddr, translateListenAddress } from "./_sockaddr.ts";

describe("listen addresses and socket addresses", () => {
  test("translateListenAddress() expands * and localhost, keeps numeric addresses, refuses names", () => {
    expect(translateListenAddress("*")).toEqual([{ family: "IPv4", host: "0.0.0.0" }, { family: "IPv6", host: "::" }]);
    expect(translateListenAddress("localhost")).toEqual([
      { family: "IPv4", host: "127.0.0.1" },
      { family: "IPv6", host: "::1" },
    ]);
    expect(translateListenAddress("10.1.2.3")).toEqual([{ family: "IPv4", host: "10.1.2.3" }]);
    expect(translateListenAddress("fe80::1:2")).toEqual([{ family: "IPv6", host: "fe80::1:2" }]);
    expect(translateListenAddress("example.com")).toBeUndefined();
    expect(translateListenAddress("300.1.1.1")).toBeUndefined();
    expect(translateListenAddress("1::2::3")).toBeUndefined();
  });

  test("an encoded address decodes back to its text and port", () => {
    expect(decodeSockaddr(encodeInetSockaddr({ family: "IPv4", host: "127.0.0.1" }, 5432), 16)).toEqual({
      host: "127.0.0.1",
      port: 5432,
    });
    for (const host of ["::1", "::", "2001:db8::8:800:200c:417a", "1:2:3:4:5:6:7:8", "::ffff:10.0.0.1"]) {
      const buf = encodeInetSockaddr({ family: "IPv6", host }, 65535);
      expect(decodeSockaddr(buf, 28)).toEqual({ host, port: 65535 });
    }
    expect(decodeSockaddr(encodeUnixSockaddr("/tmp/.s.PGSQL.5432"), 2)).toEqual({ host: "[local]", port: undefined });
  });

  test("encodeUnixSockaddr() refuses a path longer than sun_path", () => {
    expect(() => encodeUnixSockaddr(`/tmp/${"x".repeat(120)}`)).toThrow(RangeError);
  });
});
