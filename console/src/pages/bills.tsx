import { useEffect, useState } from "preact/hooks";
import { mutate, rest, subscribe } from "../api";
import { dateTime, money, words } from "../format";
import { can, useMe } from "../me";
import { short } from "../proof";
import { href } from "../router";
import { Action, Badge, ErrorBox, Field, Section, Show, Table, download, useQuery } from "../ui";

const LIST = `query Bills { bills(first: 100) { edges { node { id number state negotiable issuedAt
  shipper { name } consignee { name } holder { name } placeOfReceipt placeOfDelivery containers { number } } } } }`;

interface BillRow {
  id: string;
  number: string;
  state: string;
  negotiable: boolean;
  issuedAt: string | null;
  shipper: { name: string | null };
  consignee: { name: string | null };
  holder: { name: string } | null;
  placeOfReceipt: string | null;
  placeOfDelivery: string | null;
  containers: { number: string }[];
}

export function BillsPage() {
  const result = useQuery<{ bills: { edges: { node: BillRow }[] } }>(LIST);
  return (
    <Section title="Through bills">
      <Show result={result} what="bills">
        {(d) => (
          <Table
            head={["Bill", "State", "Shipper", "Consignee", "From → to", "Containers", "Title held by"]}
            empty="No bills you may read."
            rows={d.bills.edges.map(({ node: b }) => [
              <a href={href(`/bills/${encodeURIComponent(b.number)}`)}>{b.number}</a>,
              <Badge value={b.state} />,
              b.shipper.name ?? "—",
              b.consignee.name ?? "—",
              `${b.placeOfReceipt ?? "?"} → ${b.placeOfDelivery ?? "?"}`,
              b.containers.map((c) => c.number).join(", "),
              b.negotiable ? (b.holder?.name ?? "—") : "straight bill",
            ])}
          />
        )}
      </Show>
    </Section>
  );
}

const BILL = `query Bill($number: String!) { bill(number: $number) {
  id number negotiable state version placeOfReceipt placeOfDelivery issuedAt blankEndorsed surrenderPending
  shipper { name organisation { id name } } consignee { name organisation { id name } } notify { name }
  issuer { id name } holder { id name }
  legs { sequence mode fromLocode toLocode carrierName vesselName voyage vehicleReference plannedDeparture plannedArrival }
  containers { number isoSizeType seals grossWeightKg }
  cargo { sequence hsCode description packages packageType grossWeightKg value currency containerNumber }
  endorsementChain { sequence action at note by { name } to { name } }
  titleOnChain { titleRef holderRef version status blankEndorsed inStep }
} organisations { id name type } }`;

interface Bill {
  id: string;
  number: string;
  negotiable: boolean;
  state: string;
  version: number;
  placeOfReceipt: string | null;
  placeOfDelivery: string | null;
  issuedAt: string | null;
  blankEndorsed: boolean;
  surrenderPending: boolean;
  shipper: { name: string | null };
  consignee: { name: string | null };
  notify: { name: string | null };
  issuer: { id: string; name: string } | null;
  holder: { id: string; name: string } | null;
  legs: { sequence: number; mode: string; fromLocode: string; toLocode: string; carrierName: string | null; vesselName: string | null; voyage: string | null; vehicleReference: string | null; plannedDeparture: string | null; plannedArrival: string | null }[];
  containers: { number: string; isoSizeType: string; seals: string[]; grossWeightKg: string | null }[];
  cargo: { sequence: number; hsCode: string; description: string; packages: number; packageType: string; grossWeightKg: string; value: string | null; currency: string | null; containerNumber: string | null }[];
  endorsementChain: { sequence: number; action: string; at: string; note: string | null; by: { name: string } | null; to: { name: string } | null }[];
  titleOnChain: { titleRef: string; holderRef: string; version: number; status: string; blankEndorsed: boolean; inStep: boolean } | null;
}

interface Org {
  id: string;
  name: string;
  type: string;
}

const TITLE_FIELDS = "errors { code message field } bill { id version }";

function titleMutation(name: string, args: string): string {
  // rejectSurrender needs its note; the others take one if given.
  const note = name === "rejectSurrender" ? "String!" : "String";
  return `mutation T($id: ID!${args.includes("$toOrgId") ? ", $toOrgId: ID!" : ""}, $note: ${note}) { ${name}(id: $id${args}, note: $note) { ${TITLE_FIELDS} } }`;
}

function TitleControls({ bill, orgs, done }: { bill: Bill; orgs: Org[]; done: () => void }) {
  const me = useMe();
  const [to, setTo] = useState("");
  const [note, setNote] = useState("");
  if (!bill.negotiable || !can(me, "records:write")) return null;
  const holder = bill.holder?.id === me.organisation.id;
  const issuer = bill.issuer?.id === me.organisation.id;
  if (!holder && !(issuer && bill.surrenderPending)) return null;
  const run = (name: string, withTo: boolean) => async () => {
    await mutate(titleMutation(name, withTo ? ", toOrgId: $toOrgId" : ""), withTo ? { id: bill.id, toOrgId: to || null, note: note || null } : { id: bill.id, note: note || null }, name);
    done();
  };
  const others = orgs.filter((o) => o.id !== me.organisation.id && o.type !== "ADMIN" && o.type !== "REGULATOR");
  return (
    <Section title="Move the title">
      {holder && !bill.surrenderPending ? (
        <div class="form-row">
          <Field label="To organisation">
            <select name="toOrg" value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
              <option value="">Choose…</option>
              {others.map((o) => (
                <option value={o.id}>
                  {o.name} ({words(o.type).toLowerCase()})
                </option>
              ))}
            </select>
          </Field>
          <Field label="Note (optional)">
            <input name="note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
          </Field>
          {bill.blankEndorsed ? (
            <Action label="Transfer" run={run("transferTitle", true)} done="Transferred." />
          ) : (
            <>
              <Action label="Endorse" run={run("endorseTitle", true)} done="Endorsed." />
              <Action label="Endorse in blank" run={run("blankEndorseTitle", false)} confirm="Endorse in blank? Whoever holds the bill then holds the title." done="Endorsed in blank." />
            </>
          )}
          <Action label="Request surrender" run={run("requestSurrender", false)} confirm="Surrender the title to the issuer for delivery?" done="Surrender requested." />
        </div>
      ) : null}
      {issuer && bill.surrenderPending ? (
        <div class="form-row">
          <Field label="Note (needed to reject)">
            <input name="note" value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
          </Field>
          <Action label="Accept surrender" run={run("acceptSurrender", false)} done="Surrender accepted." />
          <Action label="Reject surrender" run={run("rejectSurrender", false)} done="Surrender rejected." />
        </div>
      ) : null}
      {holder && bill.surrenderPending ? <p class="note">The title is being surrendered; the issuer answers next.</p> : null}
    </Section>
  );
}

function EblDownload({ number }: { number: string }) {
  const [error, setError] = useState<Error | null>(null);
  const save = async () => {
    setError(null);
    try {
      const body = await rest(`/v3/transport-documents/${encodeURIComponent(number)}`);
      download(`${number.replace(/[^A-Za-z0-9_.-]+/g, "-")}.ebl.json`, JSON.stringify(body, null, 2));
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <p>
      <button type="button" onClick={save}>
        DCSA eBL 3.0 file
      </button>
      <ErrorBox error={error} />
    </p>
  );
}

export function BillPage({ number }: { number: string }) {
  const result = useQuery<{ bill: Bill; organisations: Org[] }>(BILL, { number });
  const [liveError, setLiveError] = useState<string | null>(null);
  const [change, setChange] = useState<string | null>(null);
  const { reload } = result;
  useEffect(
    () =>
      subscribe<{ billEvents: { change: string; containerNumber: string | null } }>(
        `subscription B($number: String!) { billEvents(number: $number) { change version containerNumber } }`,
        { number },
        (d) => {
          setChange(`${words(d.billEvents.change)}${d.billEvents.containerNumber ? ` (${d.billEvents.containerNumber})` : ""}`);
          reload();
        },
        setLiveError,
      ),
    [number],
  );
  return (
    <Show result={result} what="the bill">
      {({ bill: b, organisations }) => (
        <>
          <Section title={`Bill ${b.number}`}>
            <p>
              <Badge value={b.state} /> {b.negotiable ? "Negotiable (to order)" : "Straight (non-negotiable)"} · version {b.version} · issued {dateTime(b.issuedAt)}
            </p>
            {change ? (
              <p class="live" role="status">
                Updated live: {change}
              </p>
            ) : null}
            <ErrorBox error={liveError} />
            <EblDownload number={b.number} />
            <dl class="facts">
              <dt>Shipper</dt>
              <dd>{b.shipper.name ?? "—"}</dd>
              <dt>Consignee</dt>
              <dd>{b.consignee.name ?? "—"}</dd>
              <dt>Notify</dt>
              <dd>{b.notify.name ?? "—"}</dd>
              <dt>Issued by</dt>
              <dd>{b.issuer?.name ?? "—"}</dd>
              <dt>From → to</dt>
              <dd>
                {b.placeOfReceipt ?? "?"} → {b.placeOfDelivery ?? "?"}
              </dd>
            </dl>
          </Section>
          <Section title="Legs">
            <Table
              head={["#", "Mode", "From", "To", "Carrier", "Vessel / vehicle", "Planned departure", "Planned arrival"]}
              empty="No legs."
              rows={b.legs.map((l) => [l.sequence, l.mode, l.fromLocode, l.toLocode, l.carrierName ?? "—", [l.vesselName, l.voyage, l.vehicleReference].filter(Boolean).join(" ") || "—", dateTime(l.plannedDeparture), dateTime(l.plannedArrival)])}
            />
          </Section>
          <Section title="Containers and cargo">
            <Table
              head={["Container", "Type", "Seals", "Gross kg"]}
              empty="No containers."
              rows={b.containers.map((c) => [<a href={href(`/track/${c.number}`)}>{c.number}</a>, c.isoSizeType, c.seals.join(", ") || "—", c.grossWeightKg ?? "—"])}
            />
            <Table
              head={["#", "HS code", "Description", "Packages", "Gross kg", "Value", "Container"]}
              empty="No cargo lines."
              rows={b.cargo.map((c) => [c.sequence, c.hsCode, c.description, `${c.packages} ${c.packageType}`, c.grossWeightKg, money(c.value, c.currency), c.containerNumber ?? "—"])}
            />
          </Section>
          {b.negotiable ? (
            <Section title="Title">
              <p>
                Held by <strong data-testid="holder">{b.holder?.name ?? "nobody (surrendered or void)"}</strong>
                {b.blankEndorsed ? " · endorsed in blank" : ""}
                {b.surrenderPending ? " · surrender pending" : ""}
              </p>
              {b.titleOnChain ? (
                <p class="muted">
                  On chain: title {short(b.titleOnChain.titleRef)}, holder {short(b.titleOnChain.holderRef)}, version {b.titleOnChain.version}, {b.titleOnChain.status.toLowerCase()}{" "}
                  {b.titleOnChain.inStep ? <Badge value="IN STEP" tone="good" /> : <Badge value="CATCHING UP" tone="warn" />}
                </p>
              ) : (
                <p class="muted">Not on chain yet.</p>
              )}
              <Table
                head={["#", "When", "What", "By", "To", "Note"]}
                empty="No endorsements yet."
                caption="Endorsement chain"
                rows={b.endorsementChain.map((t) => [t.sequence, dateTime(t.at), words(t.action), t.by?.name ?? "—", t.to?.name ?? "—", t.note ?? ""])}
              />
            </Section>
          ) : null}
          <TitleControls bill={b} orgs={organisations} done={result.reload} />
        </>
      )}
    </Show>
  );
}
