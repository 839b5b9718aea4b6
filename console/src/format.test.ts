import { describe, expect, it } from "vitest";
import { band, byTime, dateTime, delay, eventLabel, hours, money, words } from "./format";

describe("dateTime", () => {
  it("shows UTC to the minute", () => {
    expect(dateTime("2026-11-12T10:00:00+00:00")).toBe("2026-11-12 10:00 UTC");
    expect(dateTime("2026-11-12T18:30:00+08:00")).toBe("2026-11-12 10:30 UTC");
  });
  it("says nothing for nothing and leaves what it cannot read", () => {
    expect(dateTime(null)).toBe("—");
    expect(dateTime("soon")).toBe("soon");
  });
});

describe("hours", () => {
  it.each([
    [0.25, "15 min"],
    [5.4, "5 h"],
    [24, "1 d"],
    [52, "2 d 4 h"],
    [47.8, "2 d"],
    [250, "10 d"],
    [-3, "-3 h"],
  ])("%s h is %s", (h, text) => expect(hours(h)).toBe(text));
});

describe("money", () => {
  it("groups thousands and keeps the cents the API gave", () => {
    expect(money("186000.00", "USD")).toBe("186,000.00 USD");
    expect(money("64.3", "CNY")).toBe("64.30 CNY");
    expect(money("-1234567.5")).toBe("-1,234,567.50");
    expect(money(null)).toBe("—");
  });
});

describe("events", () => {
  it("labels DCSA codes as people say them", () => {
    expect(eventLabel("EQUIPMENT", "GTOT", "ACT")).toBe("Gated out");
    expect(eventLabel("EQUIPMENT", "DISC", "EST")).toBe("Discharged (estimated)");
    expect(eventLabel("TRANSPORT", "ARRI", "PLN")).toBe("Arrived (planned)");
    expect(eventLabel("SHIPMENT", "ISSU", "ACT")).toBe("shipment ISSU");
  });
  it("orders by time, an actual before a plan at the same time", () => {
    const at = "2026-11-12T12:00:00Z";
    const sorted = byTime([
      { id: "c", eventDateTime: "2026-11-13T00:00:00Z", classifier: "ACT" },
      { id: "b", eventDateTime: at, classifier: "PLN" },
      { id: "a", eventDateTime: at, classifier: "ACT" },
    ]);
    expect(sorted.map((e) => e.id)).toEqual(["a", "b", "c"]);
  });
  it("says how late or early an actual is", () => {
    expect(delay("2026-11-12T08:00:00Z", "2026-11-12T12:00:00Z")).toBe("4 h late");
    expect(delay("2026-11-10T08:00:00Z", "2026-11-10T02:00:00Z")).toBe("6 h early");
    expect(delay("2026-11-10T08:00:00Z", "2026-11-10T08:20:00Z")).toBe("on time");
    expect(delay(null, "2026-11-10T08:20:00Z")).toBeNull();
  });
});

describe("labels", () => {
  it("names dwell bands in days", () => {
    expect(band(0, 24)).toBe("0–1 d");
    expect(band(72, 120)).toBe("3–5 d");
    expect(band(336, null)).toBe("14 d +");
    expect(band(12, 36)).toBe("0.5–1.5 d");
  });
  it("turns enum values into words", () => {
    expect(words("CUSTOMS_RELEASED")).toBe("Customs released");
    expect(words(undefined)).toBe("—");
  });
});
