import { useState } from "preact/hooks";
import { mutate } from "../api";
import { dateTime, words } from "../format";
import { can, useMe } from "../me";
import { go, href } from "../router";
import { Action, Badge, Field, Section, Show, Table, useQuery } from "../ui";
import { VerifyButton } from "./verify";

const LIST = `query D { declarations(first: 200) { nodes { id reference direction state customsCode traderName billNumber
  unLocationCode containers missing updatedAt } } }`;

interface Row {
  id: string;
  reference: string;
  direction: string;
  state: string;
  customsCode: string | null;
  traderName: string | null;
  billNumber: string | null;
  unLocationCode: string | null;
  containers: string[];
  missing: string[];
  updatedAt: string;
}

function Draft() {
  const me = useMe();
  const [reference, setReference] = useState("");
  const [direction, setDirection] = useState("IMPORT");
  const [bill, setBill] = useState("");
  const [customsCode, setCustomsCode] = useState("0900");
  if (!can(me, "records:write") || me.organisation.type === "CUSTOMS" || me.organisation.type === "REGULATOR") return null;
  return (
    <Section title="Draft a declaration">
      <p class="muted">Enter once, use many: from a bill the hub takes the containers, vessel, voyage, port and cargo lines, and says what is still missing.</p>
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <Field label="Your reference">
          <input name="reference" value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Direction">
          <select name="direction" value={direction} onChange={(e) => setDirection((e.target as HTMLSelectElement).value)}>
            <option value="IMPORT">Import</option>
            <option value="EXPORT">Export</option>
          </select>
        </Field>
        <Field label="From bill (number)">
          <input name="billNumber" value={bill} onInput={(e) => setBill((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Customs office">
          <input name="customsCode" value={customsCode} onInput={(e) => setCustomsCode((e.target as HTMLInputElement).value)} />
        </Field>
        <Action
          label="Draft"
          run={async () => {
            const done = await mutate<{ declaration: { id: string } }>(
              `mutation D($i: DeclarationDraftInput!) { createDeclaration(input: $i) { errors { code message field } declaration { id } } }`,
              { i: { reference, direction, billNumber: bill || null, customsCode: customsCode || null } },
              "createDeclaration",
            );
            go(`/declarations/${done.declaration.id}`);
          }}
        />
      </form>
    </Section>
  );
}

export function DeclarationsPage() {
  const result = useQuery<{ declarations: { nodes: Row[] } }>(LIST);
  return (
    <>
    <Draft />
    <Section title="Declarations">
      <Show result={result} what="declarations">
        {(d) => (
          <Table
            head={["Reference", "Direction", "State", "Trader", "Bill", "Port", "Containers", "Missing", "Updated"]}
            empty="No declarations you may read."
            rows={d.declarations.nodes.map((x) => [
              <a href={href(`/declarations/${x.id}`)}>{x.reference}</a>,
              words(x.direction),
              <Badge value={x.state} />,
              x.traderName ?? "—",
              x.billNumber ?? "—",
              x.unLocationCode ?? "—",
              x.containers.join(", ") || "—",
              x.missing.length ? x.missing.join(", ") : "nothing",
              dateTime(x.updatedAt),
            ])}
          />
        )}
      </Show>
    </Section>
    </>
  );
}

const ONE = `query D($id: ID!) { declaration(id: $id) { id reference direction state customsCode customsNumber traderName traderUscc
  billNumber vesselName voyage unLocationCode containers items { hsCode description quantity unit value currency originCountry }
  sources { field source } missing reasons version createdAt updatedAt } }`;

interface Declaration extends Row {
  customsNumber: string | null;
  traderUscc: string | null;
  vesselName: string | null;
  voyage: string | null;
  items: { hsCode: string | null; description: string | null; quantity: string | null; unit: string | null; value: string | null; currency: string | null; originCountry: string | null }[];
  sources: { field: string; source: string }[];
  reasons: string[];
  version: number;
  createdAt: string;
}

const FIELDS: [keyof Declaration, string][] = [
  ["customsCode", "Customs office"],
  ["customsNumber", "Customs number"],
  ["traderName", "Trader"],
  ["traderUscc", "Trader USCC"],
  ["billNumber", "Bill"],
  ["vesselName", "Vessel"],
  ["voyage", "Voyage"],
  ["unLocationCode", "Port"],
];

const FIELD_KEYS: Record<string, string> = { customsCode: "customsCode", customsNumber: "customsNumber", traderName: "traderName", traderUscc: "traderUscc", billNumber: "billNumber", vesselName: "vesselName", voyage: "voyage", unLocationCode: "unLocationCode" };

function Decide({ d, done }: { d: Declaration; done: () => void }) {
  const [decision, setDecision] = useState("RELEASE");
  const [reason, setReason] = useState("");
  const [containers, setContainers] = useState<string[]>([]);
  const toggle = (c: string) => setContainers((cs) => (cs.includes(c) ? cs.filter((x) => x !== c) : [...cs, c]));
  return (
    <Section title="Decide">
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <Field label="Decision">
          <select name="decision" value={decision} onChange={(e) => setDecision((e.target as HTMLSelectElement).value)}>
            {["ACCEPT", "INSPECT", "SCAN", "HOLD", "RELEASE", "REJECT"].map((k) => (
              <option value={k}>{words(k)}</option>
            ))}
          </select>
        </Field>
        <Field label="Reason">
          <input name="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </Field>
        <fieldset>
          <legend>Containers (none: all)</legend>
          {d.containers.map((c) => (
            <label class="check">
              <input type="checkbox" checked={containers.includes(c)} onChange={() => toggle(c)} /> {c}
            </label>
          ))}
        </fieldset>
        <Action
          label="Record decision"
          run={async () => {
            await mutate(
              `mutation X($input: DecisionInput!) { decideDeclaration(input: $input) { errors { code message field } declaration { id state } } }`,
              { input: { declarationId: d.id, decision, reasons: reason ? [reason] : [], containers } },
              "decideDeclaration",
            );
            done();
          }}
          done="Recorded."
        />
      </form>
    </Section>
  );
}

export function DeclarationPage({ id }: { id: string }) {
  const me = useMe();
  const result = useQuery<{ declaration: Declaration }>(ONE, { id });
  return (
    <Show result={result} what="the declaration">
      {({ declaration: d }) => {
        const source = (field: string) => d.sources.find((s) => s.field === field)?.source;
        const write = can(me, "records:write");
        return (
          <>
            <Section title={`Declaration ${d.reference}`}>
              <p>
                <Badge value={d.state} /> {words(d.direction)} · version {d.version} · updated {dateTime(d.updatedAt)}
              </p>
              {d.reasons.length ? <p class="note">Customs said: {d.reasons.join("; ")}</p> : null}
              <Table
                head={["Field", "Value", "Taken from"]}
                empty=""
                caption="Every field with where it came from: entered once, used here"
                rows={FIELDS.map(([k, label]) => [label, String(d[k] ?? "—"), source(FIELD_KEYS[k as string]) ?? (d[k] ? "entered" : "—")])}
              />
              <p>
                <strong>Containers:</strong> {d.containers.join(", ") || "—"} {source("containers") ? <span class="muted">(from {source("containers")})</span> : null}
              </p>
              {d.missing.length ? (
                <p class="error" role="alert">
                  Missing before it can be submitted: {d.missing.join(", ")}
                </p>
              ) : (
                <p class="muted">Nothing is missing.</p>
              )}
              <Table
                head={["HS", "Description", "Quantity", "Value", "Origin"]}
                empty="No items."
                rows={d.items.map((i) => [i.hsCode ?? "—", i.description ?? "—", `${i.quantity ?? ""} ${i.unit ?? ""}`, `${i.value ?? ""} ${i.currency ?? ""}`, i.originCountry ?? "—"])}
              />
              {write && d.state === "DRAFT" && me.organisation.type !== "CUSTOMS" ? (
                <Action
                  label="Submit to customs"
                  run={async () => {
                    await mutate(`mutation S($id: ID!) { submitDeclaration(id: $id) { errors { code message field } declaration { id } } }`, { id: d.id }, "submitDeclaration");
                    result.reload();
                  }}
                  done="Submitted."
                />
              ) : null}
              <VerifyButton kind="customs_declaration" id={d.id} />
            </Section>
            {can(me, "customs:decide") && !["DRAFT", "CANCELLED", "REJECTED"].includes(d.state) ? <Decide d={d} done={result.reload} /> : null}
          </>
        );
      }}
    </Show>
  );
}
