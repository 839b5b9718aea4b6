import { describe, expect, it } from "vitest";
import { addDays, bars, weekStart, type Call } from "./week";

function call(id: string, eta: string | null, etd: string | null, ata: string | null = null, atd: string | null = null): Call {
  return { id, vesselName: id, berth: null, eta, etb: null, etd, ata, atb: null, atd };
}

describe("weekStart", () => {
  it("is Monday 00:00 UTC", () => {
    expect(weekStart("2026-12-07T11:00:00Z").toISOString()).toBe("2026-12-07T00:00:00.000Z");
    expect(weekStart("2026-12-13T23:59:00Z").toISOString()).toBe("2026-12-07T00:00:00.000Z");
    expect(weekStart("2026-11-12T10:00:00Z").toISOString()).toBe("2026-11-09T00:00:00.000Z");
  });
});

describe("bars", () => {
  const start = weekStart("2026-12-07T00:00:00Z");
  it("lays a call from arrival to departure, actual before estimated", () => {
    const [b] = bars([call("A", "2026-12-08T00:00:00Z", "2026-12-09T00:00:00Z", "2026-12-08T12:00:00Z")], start);
    expect(b.left).toBeCloseTo(1.5 / 7);
    expect(b.width).toBeCloseTo(0.5 / 7);
    expect(b.actual).toBe(true);
  });
  it("clips to the week and leaves out calls outside it", () => {
    const laid = bars(
      [call("before", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"), call("spans", "2026-12-06T00:00:00Z", "2026-12-08T00:00:00Z"), call("after", "2026-12-15T00:00:00Z", null)],
      start,
    );
    expect(laid.map((b) => b.call.id)).toEqual(["spans"]);
    expect(laid[0].left).toBe(0);
  });
  it("runs a call with no departure to the end of the week, and sorts by arrival", () => {
    const laid = bars([call("late", "2026-12-12T00:00:00Z", null), call("early", "2026-12-07T06:00:00Z", "2026-12-07T18:00:00Z")], start);
    expect(laid.map((b) => b.call.id)).toEqual(["early", "late"]);
    expect(laid[1].open).toBe(true);
    expect(laid[1].left + laid[1].width).toBeCloseTo(1);
    expect(addDays(start, 7).toISOString()).toBe("2026-12-14T00:00:00.000Z");
  });
});
