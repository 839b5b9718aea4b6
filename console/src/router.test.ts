import { describe, expect, it } from "vitest";
import { match } from "./router";
import { navFor } from "./me";

describe("match", () => {
  it("takes parameters and decodes them", () => {
    expect(match("/bills/:number", "/bills/BMF%2FDLC-1")).toEqual({ number: "BMF/DLC-1" });
    expect(match("/port/calls/:id", "/port/calls/abc")).toEqual({ id: "abc" });
    expect(match("/", "/")).toEqual({});
  });
  it("refuses other shapes", () => {
    expect(match("/bills/:number", "/bills")).toBeNull();
    expect(match("/bills/:number", "/orders/x")).toBeNull();
  });
});

describe("navFor", () => {
  it("gives each kind of user its pages, and everyone the verify page", () => {
    for (const t of ["FORWARDER", "CARRIER", "TERMINAL", "PORT_OPERATOR", "SELLER", "PLATFORM", "BANK", "CUSTOMS", "REGULATOR", "ADMIN"])
      expect(navFor(t).map((n) => n.path)).toContain("/verify");
    expect(navFor("BANK")[0].path).toBe("/finance");
    expect(navFor("REGULATOR").map((n) => n.path)).toContain("/exposure");
    expect(navFor("PORT_OPERATOR").map((n) => n.path)).not.toContain("/ingest");
  });
});
