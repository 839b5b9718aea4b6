import { useEffect, useState } from "preact/hooks";
import { subscribe } from "../api";
import { byTime, dateTime, delay, eventLabel, hours } from "../format";
import { journey, type JourneyEvent, type Leg } from "../journey";
import { go, href } from "../router";
import { Badge, ErrorBox, Section, Show, Table, useQuery } from "../ui";

const EVENT = `id eventType typeCode classifier eventDateTime unLocationCode modeOfTransport facilityCode
  vesselName vehicleReference transportCallId flags reportedBy { name }`;
const LEG = `sequence mode fromLocode toLocode carrierName vesselName voyage vehicleReference plannedDeparture plannedArrival`;

const CONTAINER = `query Container($number: String!) {
  container(number: $number) {
    number checkDigitValid isoSizeType
    status { location modeOfTransport emptyIndicator eta billNumber currentLeg { sequence mode fromLocode toLocode }
             lastActualEvent { typeCode classifier eventDateTime unLocationCode eventType } }
    holds { kind unLocationCode placedAt ageHours reason declarationReference }
    bills { number state legs { ${LEG} } }
    events(first: 200) { nodes { ${EVENT} } }
  }
}`;

const LIVE = `subscription Live($number: String!) { containerEvents(number: $number) { ${EVENT} } }`;

interface Event extends JourneyEvent {
  facilityCode: string | null;
  vesselName: string | null;
  vehicleReference: string | null;
  flags: string[];
  reportedBy: { name: string } | null;
}

interface ContainerData {
  container: {
    number: string;
    checkDigitValid: boolean;
    isoSizeType: string | null;
    status: {
      location: string | null;
      modeOfTransport: string | null;
      emptyIndicator: string | null;
      eta: string | null;
      billNumber: string | null;
      currentLeg: { sequence: number; mode: string; fromLocode: string; toLocode: string } | null;
      lastActualEvent: { typeCode: string; classifier: string; eventDateTime: string; unLocationCode: string | null; eventType: string } | null;
    };
    holds: { kind: string; unLocationCode: string | null; placedAt: string; ageHours: number; reason: string | null; declarationReference: string | null }[];
    bills: { number: string; state: string; legs: Leg[] }[];
    events: { nodes: Event[] };
  };
}

const CONTAINER_NUMBER = /^[A-Z]{4}\d{7}$/;

function Search({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  return (
    <form
      class="search"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        const v = value.trim().toUpperCase();
        if (!v) return;
        go(CONTAINER_NUMBER.test(v) ? `/track/${encodeURIComponent(v)}` : `/bills/${encodeURIComponent(value.trim())}`);
      }}
    >
      <label class="field">
        <span>Container or bill number</span>
        <input name="q" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} placeholder="MSCU6639870 or BMF-DLC-26-0001" />
      </label>
      <button type="submit">Find</button>
    </form>
  );
}

export function TrackPage({ number }: { number: string }) {
  return (
    <>
      <Section title="Track a container">
        <Search initial={number} />
      </Section>
      {number ? <Journey number={number} key={number} /> : null}
    </>
  );
}

function Journey({ number }: { number: string }) {
  const result = useQuery<ContainerData>(CONTAINER, { number });
  const [live, setLive] = useState<Event[]>([]);
  const [liveError, setLiveError] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const { reload } = result;
  useEffect(() => {
    setConnected(true);
    const stop = subscribe<{ containerEvents: Event }>(
      LIVE,
      { number },
      (d) => {
        setLive((l) => [...l.filter((e) => e.id !== d.containerEvents.id), d.containerEvents]);
        reload(); // the box's status and holds move with its events (a customs hold arrives as one)
      },
      setLiveError,
    );
    return () => (stop(), setConnected(false));
  }, [number]);
  return (
    <Show result={result} what="the container">
      {(d) => {
        const c = d.container;
        const known = new Set(c.events.nodes.map((e) => e.id));
        const events = byTime([...c.events.nodes, ...live.filter((e) => !known.has(e.id))]);
        const legs = c.bills[0]?.legs ?? [];
        const current = c.status.currentLeg?.sequence;
        return (
          <>
            <Section title={`Container ${c.number}`}>
              <dl class="facts">
                <dt>Size and type</dt>
                <dd>{c.isoSizeType ?? "—"}</dd>
                <dt>Check digit</dt>
                <dd>{c.checkDigitValid ? "valid" : <Badge value="INVALID" tone="bad" />}</dd>
                <dt>Where</dt>
                <dd>
                  {c.status.location ?? "—"} {c.status.modeOfTransport ? `(${c.status.modeOfTransport.toLowerCase()})` : ""}
                </dd>
                <dt>Last actual event</dt>
                <dd>
                  {c.status.lastActualEvent
                    ? `${eventLabel(c.status.lastActualEvent.eventType, c.status.lastActualEvent.typeCode, "ACT")} at ${c.status.lastActualEvent.unLocationCode ?? "?"}, ${dateTime(c.status.lastActualEvent.eventDateTime)}`
                    : "—"}
                </dd>
                <dt>ETA</dt>
                <dd data-testid="eta">{dateTime(c.status.eta)}</dd>
                <dt>Bill</dt>
                <dd>{c.status.billNumber ? <a href={href(`/bills/${encodeURIComponent(c.status.billNumber)}`)}>{c.status.billNumber}</a> : "—"}</dd>
              </dl>
              {c.holds.map((h) => (
                <p class="error" role="status" data-testid="hold">
                  <strong>On customs {h.kind.toLowerCase()}</strong> at {h.unLocationCode ?? "?"} since {dateTime(h.placedAt)} ({hours(h.ageHours)})
                  {h.reason ? `: ${h.reason}` : ""}
                  {h.declarationReference ? ` (declaration ${h.declarationReference})` : ""}
                </p>
              ))}
              <p class="live" aria-live="polite" data-testid="live">
                {connected && !liveError ? "Live: new events appear here as they arrive." : null}
                {live.length ? ` ${live.length} new event${live.length > 1 ? "s" : ""} since you opened this page.` : null}
              </p>
              <ErrorBox error={liveError} />
            </Section>
            <Section title="Journey">
              <ol class="journey">
                {journey(events, legs).map((v) => (
                  <li class={v.leg && v.leg.sequence === current ? "leg current" : "leg"}>
                    <h3>
                      {v.leg ? `Leg ${v.leg.sequence}: ${v.leg.mode.toLowerCase()} ${v.leg.fromLocode} → ${v.leg.toLocode}` : "Elsewhere"}
                      {v.leg && v.leg.sequence === current ? <Badge value="CURRENT" tone="info" /> : null}
                    </h3>
                    {v.leg ? (
                      <p class="muted">
                        {[v.leg.carrierName, v.leg.vesselName, v.leg.voyage, v.leg.vehicleReference].filter(Boolean).join(" · ")}
                        <br />
                        Departure planned {dateTime(v.leg.plannedDeparture)}
                        {v.departed ? `, actual ${dateTime(v.departed)} (${delay(v.leg.plannedDeparture, v.departed) ?? ""})` : ""}
                        <br />
                        Arrival planned {dateTime(v.leg.plannedArrival)}
                        {v.arrived ? `, actual ${dateTime(v.arrived)} (${delay(v.leg.plannedArrival, v.arrived) ?? ""})` : ""}
                      </p>
                    ) : null}
                    <Table
                      head={["When", "Event", "Where", "By", ""]}
                      empty="No events on this leg yet."
                      rows={(v.events as Event[]).map((e) => [
                        dateTime(e.eventDateTime),
                        <span class={e.classifier === "ACT" ? "act" : "plan"}>{eventLabel(e.eventType, e.typeCode, e.classifier)}</span>,
                        [e.unLocationCode, e.facilityCode].filter(Boolean).join(" "),
                        e.reportedBy?.name ?? "—",
                        <>
                          {live.some((l) => l.id === e.id) ? <Badge value="NEW" tone="good" /> : null}
                          {e.flags.map((f) => (
                            <Badge value={f} tone="warn" />
                          ))}
                        </>,
                      ])}
                    />
                  </li>
                ))}
              </ol>
            </Section>
          </>
        );
      }}
    </Show>
  );
}
