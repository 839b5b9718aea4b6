import { describe, expect, it } from "vitest";
import { exportName, meaning, short, steps, verifyCommand } from "./proof";

const ROOT = "0xfdb9ab74af476f17e1283fbb76582306ea5fb1ef5dae273bfe5a12c6c7284a51";

describe("proof display", () => {
  it("shortens a hash keeping both ends", () => {
    expect(short(ROOT)).toBe("0xfdb9ab…4a51");
    expect(short(ROOT, 10)).toBe("0xfdb9ab74af…4a51");
    expect(short("0x1234")).toBe("0x1234");
    expect(short(null)).toBe("—");
  });
  it("lists the proof from the leaf up", () => {
    expect(steps({ proof: ["0xaa", "0xbb"] })).toEqual([
      { level: 1, sibling: "0xaa" },
      { level: 2, sibling: "0xbb" },
    ]);
    expect(steps({ proof: [] })).toEqual([]);
  });
  it("explains every status", () => {
    for (const s of ["ANCHORED", "PENDING", "TAMPERED", "NOT_FOUND"]) expect(meaning(s)).not.toBe(s);
    expect(meaning("TAMPERED")).toContain("changed");
  });
});

describe("the check-it-yourself file", () => {
  it("is named by kind, id and version, safe on any file system", () => {
    expect(exportName("document", "01a2-b3", 2)).toBe("document-01a2-b3-v2.json");
    expect(exportName("ceb order", "a/b:c", null)).toBe("ceb-order-a-b-c.json");
  });
  it("comes with the stand-alone verifier's command", () => {
    expect(verifyCommand("doc.json", "31337")).toBe("python -m ledger.verify doc.json --rpc <an RPC node of chain 31337>");
  });
});
