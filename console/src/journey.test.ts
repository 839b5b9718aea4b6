import { describe, expect, it } from "vitest";
import { journey, legOf, type JourneyEvent, type Leg } from "./journey";

const LEGS: Leg[] = [
  { sequence: 2, mode: "RAIL", fromLocode: "CNDLC", toLocode: "CNSHE", plannedDeparture: null, plannedArrival: null },
  { sequence: 1, mode: "SEA", fromLocode: "KRPUS", toLocode: "CNDLC", plannedDeparture: null, plannedArrival: null },
  { sequence: 3, mode: "ROAD", fromLocode: "CNSHE", toLocode: "CNSHE", plannedDeparture: null, plannedArrival: null },
];

function ev(id: string, code: string, at: string, place: string | null, mode: string | null, classifier = "ACT"): JourneyEvent {
  return { id, eventType: "EQUIPMENT", typeCode: code, classifier, eventDateTime: at, unLocationCode: place, modeOfTransport: mode };
}

describe("legOf", () => {
  it("places an event on the leg of its mode that touches its place", () => {
    expect(legOf(ev("1", "DISC", "2026-11-12T12:00:00Z", "CNDLC", "VESSEL"), LEGS)?.sequence).toBe(1);
    expect(legOf(ev("2", "LOAD", "2026-11-13T08:30:00Z", "CNDLC", "RAIL"), LEGS)?.sequence).toBe(2);
    expect(legOf(ev("3", "GTIN", "2026-11-14T08:30:00Z", "CNSHE", "TRUCK"), LEGS)?.sequence).toBe(3);
  });
  it("falls back on the place: the leg that starts there, else the last that ends there", () => {
    expect(legOf(ev("4", "GTOT", "2026-11-13T08:00:00Z", "CNDLC", null), LEGS)?.sequence).toBe(2);
    expect(legOf(ev("5", "STRP", "2026-11-15T08:00:00Z", "CNSHE", "BARGE"), LEGS)?.sequence).toBe(3);
  });
  it("leaves an event elsewhere, or without a place, on no leg", () => {
    expect(legOf(ev("6", "GTIN", "2026-11-01T00:00:00Z", "NLRTM", "TRUCK"), LEGS)).toBeNull();
    expect(legOf(ev("7", "GTIN", "2026-11-01T00:00:00Z", null, "TRUCK"), LEGS)).toBeNull();
  });
});

describe("journey", () => {
  it("puts legs in order with their events in time and the actual departure and arrival", () => {
    const views = journey(
      [
        ev("b", "DISC", "2026-11-12T12:00:00Z", "CNDLC", "VESSEL"),
        ev("a", "LOAD", "2026-11-10T02:00:00Z", "KRPUS", "VESSEL"),
        ev("p", "DISC", "2026-11-12T11:00:00Z", "CNDLC", "VESSEL", "EST"),
        ev("x", "GTIN", "2026-11-01T00:00:00Z", "NLRTM", "TRUCK"),
      ],
      LEGS,
    );
    expect(views.map((v) => v.leg?.sequence ?? null)).toEqual([1, 2, 3, null]);
    expect(views[0].events.map((e) => e.id)).toEqual(["a", "p", "b"]);
    expect(views[0].departed).toBe("2026-11-10T02:00:00Z");
    expect(views[0].arrived).toBe("2026-11-12T12:00:00Z");
    expect(views[1].events).toEqual([]);
    expect(views[3].events.map((e) => e.id)).toEqual(["x"]);
  });
  it("does not count an estimate as an arrival", () => {
    const [sea] = journey([ev("p", "DISC", "2026-11-12T11:00:00Z", "CNDLC", "VESSEL", "EST")], LEGS);
    expect(sea.arrived).toBeNull();
  });
});
