import { useEffect, useRef, useState } from "preact/hooks";
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { subscribe } from "../api";
import { band, dateTime, hours } from "../format";
import { href } from "../router";
import { addDays, bars, weekStart, type Call } from "../week";
import { Badge, ErrorBox, Section, Show, Table, useQuery } from "../ui";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const CALL = `id vesselName vesselImo berth terminalCode eta etb etd ata atb atd unLocationCode importVoyage exportVoyage`;

const OVERVIEW = `query P { containersOnHold(first: 200) { nodes { containerNumber unLocationCode reason kind declarationReference placedAt ageHours } }
  yard(first: 200) { nodes { containerNumber unLocationCode facilityCode since dwellHours lastTypeCode empty } }
  undeclaredContainers(first: 200) { nodes { containerNumber unLocationCode facilityCode since dwellHours lastTypeCode } }
  dwellStatistics { port containers averageHours p50Hours p90Hours maxHours over7Days
    byFacility { facilityCode containers averageHours } distribution { fromHours toHours containers } } }`;

interface Overview {
  containersOnHold: { nodes: { containerNumber: string; unLocationCode: string | null; reason: string; kind: string; declarationReference: string; placedAt: string; ageHours: number }[] };
  yard: { nodes: YardRow[] };
  undeclaredContainers: { nodes: YardRow[] };
  dwellStatistics: {
    port: string | null;
    containers: number;
    averageHours: number;
    p50Hours: number;
    p90Hours: number;
    maxHours: number;
    over7Days: number;
    byFacility: { facilityCode: string; containers: number; averageHours: number }[];
    distribution: { fromHours: number; toHours: number | null; containers: number }[];
  };
}

interface YardRow {
  containerNumber: string;
  unLocationCode: string | null;
  facilityCode: string | null;
  since: string;
  dwellHours: number;
  lastTypeCode: string;
  empty?: boolean | null;
}

function DwellChart({ distribution }: { distribution: Overview["dwellStatistics"]["distribution"] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: distribution.map((b) => band(b.fromHours, b.toHours)),
        datasets: [{ label: "Containers", data: distribution.map((b) => b.containers), backgroundColor: distribution.map((b) => (b.fromHours >= 168 ? "#b3261e" : b.fromHours >= 72 ? "#c77700" : "#1f6feb")) }],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "containers" } }, x: { title: { display: true, text: "time in the yard" } } } },
    });
    return () => chart.destroy();
  }, [JSON.stringify(distribution)]);
  return (
    <div class="chart">
      <canvas ref={canvas} role="img" aria-label={`Dwell times: ${distribution.map((b) => `${band(b.fromHours, b.toHours)} ${b.containers}`).join(", ")}`} />
    </div>
  );
}

function Week() {
  const wide = useQuery<{ vesselCalls: { nodes: Call[] } }>(`query W($s: DateTime!, $e: DateTime!) { vesselCalls(start: $s, end: $e, first: 200) { nodes { ${CALL} } } }`, {
    s: addDays(new Date(), -90).toISOString(),
    e: addDays(new Date(), 30).toISOString(),
  });
  const [start, setStart] = useState<Date | null>(null);
  useEffect(() => {
    // Open on this week, or on the week of the latest call when this week has none (a quiet port, the demo).
    if (start || !wide.data) return;
    const now = new Date();
    const calls = wide.data.vesselCalls.nodes;
    const thisWeek = weekStart(now.toISOString());
    const latest = calls.map((c) => c.ata ?? c.eta).filter((x): x is string => !!x).sort().pop();
    setStart(bars(calls, thisWeek).length || !latest ? thisWeek : weekStart(latest));
  }, [wide.data]);
  return (
    <Section title="Vessel calls">
      {start ? <WeekView start={start} move={(d) => setStart(addDays(start, d))} /> : <Show result={wide} what="vessel calls">{() => null}</Show>}
    </Section>
  );
}

function WeekView({ start, move }: { start: Date; move: (days: number) => void }) {
  const end = addDays(start, 7);
  const result = useQuery<{ vesselCalls: { nodes: Call[] } }>(`query W($s: DateTime!, $e: DateTime!) { vesselCalls(start: $s, end: $e, first: 200) { nodes { ${CALL} } } }`, {
    s: addDays(start, -7).toISOString(),
    e: end.toISOString(),
  });
  const { reload } = result;
  useEffect(() => subscribe(`subscription { portCallChanged { id } }`, {}, () => reload(), () => undefined), []);
  const days = Array.from({ length: 7 }, (_, i) => addDays(start, i));
  return (
    <>
      <div class="form-row">
        <button type="button" onClick={() => move(-7)}>
          ← Previous week
        </button>
        <strong>
          Week of {start.toISOString().slice(0, 10)} – {addDays(end, -1).toISOString().slice(0, 10)}
        </strong>
        <button type="button" onClick={() => move(7)}>
          Next week →
        </button>
      </div>
      <Show result={result} what="calls">
        {(d) => {
          const laid = bars(d.vesselCalls.nodes, start);
          return (
            <>
              <div class="timeline" role="list" aria-label="Calls of the week">
                <div class="days" aria-hidden="true">
                  {days.map((day) => (
                    <span>{day.toUTCString().slice(0, 11)}</span>
                  ))}
                </div>
                {laid.length ? (
                  laid.map((b) => (
                    <div class="lane" role="listitem">
                      <a class={b.actual ? "bar actual" : "bar"} href={href(`/port/calls/${b.call.id}`)} style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%` }} title={`${b.call.vesselName ?? "?"} ETA ${dateTime(b.call.eta)} ATA ${dateTime(b.call.ata)}`}>
                        {b.call.vesselName ?? "?"} {b.call.berth ? `· berth ${b.call.berth}` : ""}
                      </a>
                    </div>
                  ))
                ) : (
                  <p class="muted">No calls this week.</p>
                )}
              </div>
              <Table
                head={["Vessel", "Berth", "ETA", "ETB", "ATA", "ATB", "ETD", "ATD"]}
                empty=""
                rows={laid.map(({ call: c }) => [<a href={href(`/port/calls/${c.id}`)}>{c.vesselName ?? "?"}</a>, c.berth ?? "—", dateTime(c.eta), dateTime(c.etb), dateTime(c.ata), dateTime(c.atb), dateTime(c.etd), dateTime(c.atd)])}
              />
            </>
          );
        }}
      </Show>
    </>
  );
}

export function PortPage() {
  const result = useQuery<Overview>(OVERVIEW);
  const [liveError, setLiveError] = useState<string | null>(null);
  const { reload } = result;
  useEffect(() => subscribe(`subscription { containerHolds { containerNumber } }`, {}, () => reload(), setLiveError), []);
  return (
    <>
      <Week />
      <Show result={result} what="the yard">
        {(d) => {
          const s = d.dwellStatistics;
          return (
            <>
              <Section title={`Yard dwell${s.port ? ` at ${s.port}` : ""}`}>
                <dl class="facts">
                  <dt>In the yard</dt>
                  <dd data-testid="yard-count">{s.containers}</dd>
                  <dt>Median · 90th percentile</dt>
                  <dd>
                    {hours(s.p50Hours)} · {hours(s.p90Hours)}
                  </dd>
                  <dt>Average · longest</dt>
                  <dd>
                    {hours(s.averageHours)} · {hours(s.maxHours)}
                  </dd>
                  <dt>Over 7 days</dt>
                  <dd>{s.over7Days}</dd>
                </dl>
                <DwellChart distribution={s.distribution} />
                <Table head={["Facility", "Containers", "Average"]} empty="" rows={s.byFacility.map((f) => [f.facilityCode, f.containers, hours(f.averageHours)])} />
              </Section>
              <Section title="Containers on hold">
                <ErrorBox error={liveError} />
                <Table
                  head={["Container", "Port", "Kind", "Reason", "Declaration", "Since", "Age"]}
                  empty="No container is on hold."
                  rows={d.containersOnHold.nodes.map((h) => [<a href={href(`/track/${h.containerNumber}`)}>{h.containerNumber}</a>, h.unLocationCode ?? "—", <Badge value={h.kind} />, h.reason, h.declarationReference, dateTime(h.placedAt), hours(h.ageHours)])}
                />
              </Section>
              <Section title="Undeclared containers">
                <Table
                  head={["Container", "Facility", "Since", "Dwell", "Last"]}
                  empty="Every container in the yard is covered by a declaration."
                  rows={d.undeclaredContainers.nodes.map((y) => [<a href={href(`/track/${y.containerNumber}`)}>{y.containerNumber}</a>, y.facilityCode ?? "—", dateTime(y.since), hours(y.dwellHours), y.lastTypeCode])}
                />
              </Section>
              <Section title="Yard">
                <Table
                  head={["Container", "Port", "Facility", "Since", "Dwell", "Last", "Empty"]}
                  empty="The yard is empty."
                  rows={d.yard.nodes.map((y) => [<a href={href(`/track/${y.containerNumber}`)}>{y.containerNumber}</a>, y.unLocationCode ?? "—", y.facilityCode ?? "—", dateTime(y.since), hours(y.dwellHours), y.lastTypeCode, y.empty ? "empty" : "laden"])}
                />
              </Section>
            </>
          );
        }}
      </Show>
    </>
  );
}

export function PortCallPage({ id }: { id: string }) {
  const result = useQuery<{ portCall: Call & { vesselImo: string; unLocationCode: string; terminalCode: string | null; importVoyage: string | null; exportVoyage: string | null; portVisitReference: string; moves: { discharge: Move[]; load: Move[] } } }>(
    `query C($id: ID!) { portCall(id: $id) { ${CALL} portVisitReference moves { discharge { containerNumber classifier eventDateTime facilityCode emptyIndicator } load { containerNumber classifier eventDateTime facilityCode emptyIndicator } } } }`,
    { id },
  );
  return (
    <Show result={result} what="the call">
      {({ portCall: c }) => (
        <>
          <Section title={`${c.vesselName ?? "?"} (IMO ${c.vesselImo}) at ${c.unLocationCode}`}>
            <dl class="facts">
              <dt>Visit</dt>
              <dd>{c.portVisitReference}</dd>
              <dt>Voyages in · out</dt>
              <dd>
                {c.importVoyage ?? "—"} · {c.exportVoyage ?? "—"}
              </dd>
              <dt>Terminal · berth</dt>
              <dd>
                {c.terminalCode ?? "—"} · {c.berth ?? "—"}
              </dd>
              <dt>Arrival</dt>
              <dd>
                ETA {dateTime(c.eta)} · ATA {dateTime(c.ata)}
              </dd>
              <dt>Berthing</dt>
              <dd>
                ETB {dateTime(c.etb)} · ATB {dateTime(c.atb)}
              </dd>
              <dt>Departure</dt>
              <dd>
                ETD {dateTime(c.etd)} · ATD {dateTime(c.atd)}
              </dd>
            </dl>
          </Section>
          <Section title={`Discharge list (${c.moves.discharge.length})`}>
            <MoveTable moves={c.moves.discharge} />
          </Section>
          <Section title={`Load list (${c.moves.load.length})`}>
            <MoveTable moves={c.moves.load} />
          </Section>
        </>
      )}
    </Show>
  );
}

interface Move {
  containerNumber: string | null;
  classifier: string;
  eventDateTime: string;
  facilityCode: string | null;
  emptyIndicator: string | null;
}

function MoveTable({ moves }: { moves: Move[] }) {
  return (
    <Table
      head={["Container", "Planned / actual", "When", "Facility", "Empty"]}
      empty="None."
      rows={moves.map((m) => [m.containerNumber ? <a href={href(`/track/${m.containerNumber}`)}>{m.containerNumber}</a> : "—", m.classifier === "ACT" ? "actual" : "planned", dateTime(m.eventDateTime), m.facilityCode ?? "—", m.emptyIndicator ?? "—"])}
    />
  );
}
