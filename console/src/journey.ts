// A container's events placed on the legs of its through bill: the journey as the forwarder reads it.

export interface Leg {
  sequence: number;
  mode: string;
  fromLocode: string;
  toLocode: string;
  plannedDeparture: string | null;
  plannedArrival: string | null;
  vesselName?: string | null;
  voyage?: string | null;
  vehicleReference?: string | null;
  carrierName?: string | null;
}

export interface JourneyEvent {
  id: string;
  eventType: string;
  typeCode: string;
  classifier: string;
  eventDateTime: string;
  unLocationCode: string | null;
  modeOfTransport: string | null;
}

// DCSA's modes of transport against a bill leg's mode.
const MODE: Record<string, string> = { VESSEL: "SEA", BARGE: "SEA", RAIL: "RAIL", TRUCK: "ROAD" };

/** The leg an event belongs to: same mode and a place the leg starts or ends at; failing the mode, the
 * place alone (the first leg that starts there, else the last that ends there); null when neither fits. */
export function legOf(event: JourneyEvent, legs: readonly Leg[]): Leg | null {
  const at = event.unLocationCode;
  if (!at) return null;
  const mode = event.modeOfTransport ? MODE[event.modeOfTransport] : undefined;
  const touches = (l: Leg) => l.fromLocode === at || l.toLocode === at;
  const byMode = legs.filter((l) => l.mode === mode && touches(l));
  if (byMode.length) return byMode[0];
  const starts = legs.find((l) => l.fromLocode === at);
  if (starts) return starts;
  const ends = legs.filter((l) => l.toLocode === at);
  return ends.length ? ends[ends.length - 1] : null;
}

export interface LegView {
  leg: Leg | null;
  events: JourneyEvent[];
  departed: string | null; // actual LOAD or DEPA at the leg's start
  arrived: string | null; // actual DISC or ARRI at its end
}

/** Each leg with its events in time order; events that fit no leg come last, under a null leg. */
export function journey(events: readonly JourneyEvent[], legs: readonly Leg[]): LegView[] {
  const views: LegView[] = [...legs]
    .sort((a, b) => a.sequence - b.sequence)
    .map((leg) => ({ leg, events: [], departed: null, arrived: null }));
  const loose: LegView = { leg: null, events: [], departed: null, arrived: null };
  for (const e of [...events].sort((a, b) => a.eventDateTime.localeCompare(b.eventDateTime))) {
    const leg = legOf(e, legs);
    const view = leg ? views.find((v) => v.leg === leg)! : loose;
    view.events.push(e);
    if (leg && e.classifier === "ACT") {
      if ((e.typeCode === "LOAD" || e.typeCode === "DEPA") && e.unLocationCode === leg.fromLocode && !view.departed)
        view.departed = e.eventDateTime;
      if ((e.typeCode === "DISC" || e.typeCode === "ARRI") && e.unLocationCode === leg.toLocode) view.arrived = e.eventDateTime;
    }
  }
  return loose.events.length ? [...views, loose] : views;
}
