import { useEffect, useState } from "preact/hooks";
import { mutate, subscribe } from "../api";
import { dateTime, day, money, words } from "../format";
import { can, useMe } from "../me";
import { href } from "../router";
import type { VerificationView } from "../proof";
import { Action, Badge, Field, Section, Show, Table, Yes, useQuery } from "../ui";
import { VerificationDetail } from "./verify";

const LIST = `query R { receivables(first: 200) { nodes { id creditorName debtorName invoiceNumber amount currency dueDate status
  lender { name } conditions { kind met } repaymentDue } } }`;

interface Row {
  id: string;
  creditorName: string;
  debtorName: string;
  invoiceNumber: string;
  amount: string;
  currency: string;
  dueDate: string;
  status: string;
  lender: { name: string } | null;
  conditions: { kind: string; met: boolean }[];
  repaymentDue: string | null;
}

interface Evidence {
  documents: { nodes: { id: string; reference: string; kind: string; owner: { id: string } }[] };
  bills: { edges: { node: { id: string; number: string } }[] };
}

function Register({ done }: { done: () => void }) {
  const me = useMe();
  const evidence = useQuery<Evidence>(`{ documents(first: 100) { nodes { id reference kind owner { id } } } bills(first: 100) { edges { node { id number } } } }`, {}, !can(me, "receivables:register"));
  const [debtor, setDebtor] = useState("");
  const [invoice, setInvoice] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [issued, setIssued] = useState(new Date().toISOString().slice(0, 10));
  const [due, setDue] = useState("");
  const [chosen, setChosen] = useState<{ kind: string; id: string }[]>([]);
  if (!can(me, "receivables:register")) return null;
  const toggle = (kind: string, id: string) =>
    setChosen((c) => (c.some((e) => e.id === id) ? c.filter((e) => e.id !== id) : [...c, { kind, id }]));
  return (
    <Section title="Register a receivable">
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <Field label="Debtor">
          <input name="debtor" value={debtor} onInput={(e) => setDebtor((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Invoice number">
          <input name="invoice" value={invoice} onInput={(e) => setInvoice((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Amount">
          <input name="amount" inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Currency">
          <input name="currency" maxLength={3} value={currency} onInput={(e) => setCurrency((e.target as HTMLInputElement).value.toUpperCase())} />
        </Field>
        <Field label="Issued">
          <input name="issued" type="date" value={issued} onInput={(e) => setIssued((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Due">
          <input name="due" type="date" value={due} onInput={(e) => setDue((e.target as HTMLInputElement).value)} />
        </Field>
        <fieldset>
          <legend>Evidence (your documents and bills)</legend>
          {evidence.data?.documents.nodes
            .filter((d) => d.owner.id === me.organisation.id)
            .map((d) => (
              <label class="check">
                <input type="checkbox" checked={chosen.some((c) => c.id === d.id)} onChange={() => toggle("document", d.id)} /> {d.reference}
              </label>
            ))}
          {evidence.data?.bills.edges.map(({ node: b }) => (
            <label class="check">
              <input type="checkbox" checked={chosen.some((c) => c.id === b.id)} onChange={() => toggle("bill", b.id)} /> bill {b.number}
            </label>
          ))}
        </fieldset>
        <Action
          label="Register"
          run={async () => {
            await mutate(
              `mutation R($i: ReceivableInput!) { registerReceivable(input: $i) { errors { code message field } receivable { id } } }`,
              { i: { debtorName: debtor, invoiceNumber: invoice, amount, currency, issueDate: issued, dueDate: due, evidence: chosen } },
              "registerReceivable",
            );
            done();
          }}
          done="Registered: banks you share it with can verify and finance it."
        />
      </form>
    </Section>
  );
}

export function FinancePage() {
  const result = useQuery<{ receivables: { nodes: Row[] } }>(LIST);
  const { reload } = result;
  useEffect(() => subscribe(`subscription { receivableChanged { id } }`, {}, () => reload(), () => undefined), []);
  return (
    <>
    <Register done={reload} />
    <Section title="Receivables">
      <Show result={result} what="receivables">
        {(d) => (
          <Table
            head={["Invoice", "Creditor", "Debtor", "Amount", "Due", "Status", "Lender", "Conditions"]}
            empty="No receivables you may read."
            rows={d.receivables.nodes.map((r) => [
              <a href={href(`/finance/${r.id}`)}>{r.invoiceNumber}</a>,
              r.creditorName,
              r.debtorName,
              money(r.amount, r.currency),
              day(r.dueDate),
              <Badge value={r.status} />,
              r.lender?.name ?? "—",
              r.conditions.map((c) => `${words(c.kind)} ${c.met ? "✓" : "…"}`).join(", ") || "—",
            ])}
          />
        )}
      </Show>
    </Section>
    </>
  );
}

const VERIFY = `query V($id: ID!) { verifyReceivable(id: $id) {
  financeable authentic tradeHappened amountsAgree evidenceCovers pledgedElsewhere
  receivable { id creditorName debtorName invoiceNumber amount currency issueDate dueDate status blindedId version
    lender { id name } conditions { kind met metAt evidence detail } disbursedAt repayDaysAfterDelivery deliveredAt repaymentDue titleCollateral
    history { action at transactionHash blockNumber condition evidence detail by { name } } }
  records { ref verification { status kind recordId version recordHash leaf leafIndex proof merkleRoot chainId contract transactionHash blockNumber anchoredAt detail } }
  trade { point ok detail evidence }
  amounts { source ok expected found currency detail }
  draws { ref label value currency drawnByOthers remaining draw overdrawn }
  titles { billNumber state heldByLender collateral holder { name } }
  onChain { status lenderIsYou pledges contract chainId blockNumber } } }`;

interface Verification {
  financeable: boolean;
  authentic: boolean;
  tradeHappened: boolean;
  amountsAgree: boolean;
  evidenceCovers: boolean;
  pledgedElsewhere: boolean;
  receivable: {
    id: string;
    creditorName: string;
    debtorName: string;
    invoiceNumber: string;
    amount: string;
    currency: string;
    issueDate: string;
    dueDate: string;
    status: string;
    blindedId: string;
    version: number;
    lender: { id: string; name: string } | null;
    conditions: { kind: string; met: boolean; metAt: string | null; evidence: string | null; detail: string | null }[];
    disbursedAt: string | null;
    repayDaysAfterDelivery: number | null;
    deliveredAt: string | null;
    repaymentDue: string | null;
    titleCollateral: string | null;
    history: { action: string; at: string; transactionHash: string | null; blockNumber: number | null; condition: string | null; evidence: string | null; detail: string | null; by: { name: string } | null }[];
  };
  records: { ref: string; verification: VerificationView }[];
  trade: { point: string; ok: boolean; detail: string; evidence: string[] }[];
  amounts: { source: string; ok: boolean; expected: string; found: string; currency: string; detail: string }[];
  draws: { ref: string; label: string; value: string; currency: string; drawnByOthers: string; remaining: string; draw: string; overdrawn: boolean }[];
  titles: { billNumber: string; state: string; heldByLender: boolean; collateral: boolean; holder: { name: string } | null }[];
  onChain: { status: string; lenderIsYou: boolean; pledges: number; contract: string; chainId: string; blockNumber: number };
}

function Claim({ title, ok, children }: { title: string; ok: boolean; children: preact.ComponentChildren }) {
  return (
    <Section title={title}>
      <p data-testid="claim">
        <Yes ok={ok} />
      </p>
      {children}
    </Section>
  );
}

function Pledge({ id, done }: { id: string; done: () => void }) {
  const [conditions, setConditions] = useState<string[]>([]);
  const [days, setDays] = useState("");
  const toggle = (c: string) => setConditions((cs) => (cs.includes(c) ? cs.filter((x) => x !== c) : [...cs, c]));
  return (
    <div class="form-row">
      <fieldset>
        <legend>Disburse when</legend>
        {["LOADED", "CUSTOMS_RELEASED", "GATED_OUT"].map((c) => (
          <label class="check">
            <input type="checkbox" checked={conditions.includes(c)} onChange={() => toggle(c)} /> {words(c)}
          </label>
        ))}
      </fieldset>
      <Field label="Repay days after delivery">
        <input name="repayDays" inputMode="numeric" value={days} onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
      </Field>
      <Action
        label="Pledge"
        confirm="Finance this receivable? The registry on chain refuses a second financing of the same evidence."
        run={async () => {
          await mutate(
            `mutation P($id: ID!, $c: [Condition!], $d: Int) { pledgeReceivable(id: $id, conditions: $c, repayDaysAfterDelivery: $d) { errors { code message field } receivable { id } } }`,
            { id, c: conditions.length ? conditions : null, d: days ? Number(days) : null },
            "pledgeReceivable",
          );
          done();
        }}
        done="Pledged."
      />
    </div>
  );
}

export function ReceivablePage({ id }: { id: string }) {
  const me = useMe();
  const result = useQuery<{ verifyReceivable: Verification }>(VERIFY, { id });
  return (
    <Show result={result} what="the verification">
      {({ verifyReceivable: v }) => {
        const r = v.receivable;
        const bank = can(me, "receivables:finance");
        const lender = r.lender?.id === me.organisation.id;
        return (
          <>
            <Section title={`Receivable ${r.invoiceNumber}`}>
              <p>
                <Badge value={r.status} /> {money(r.amount, r.currency)} owed by {r.debtorName} to {r.creditorName}, issued {day(r.issueDate)}, due {day(r.dueDate)}
              </p>
              <p data-testid="financeable">
                Open to a new financing: <Yes ok={v.financeable} /> {v.pledgedElsewhere ? <Badge value="PLEDGED ELSEWHERE" tone="bad" /> : null}
              </p>
              <p class="muted">
                On chain: {v.onChain.status.toLowerCase()}, {v.onChain.pledges} pledge(s), block {v.onChain.blockNumber}
                {v.onChain.lenderIsYou ? ", financed by you" : ""}
              </p>
              {bank && r.status === "REGISTERED" && v.financeable ? <Pledge id={r.id} done={result.reload} /> : null}
              {bank && lender && r.status === "PLEDGED" ? (
                <div class="form-row">
                  <Action label="Repaid" confirm="Record that the financing was repaid?" run={async () => (await mutate(`mutation X($id: ID!) { repayReceivable(id: $id) { errors { code message field } receivable { id } } }`, { id: r.id }, "repayReceivable"), result.reload())} />
                  <Action label="Settle" confirm="Settle the receivable (the debtor paid the bank)?" run={async () => (await mutate(`mutation X($id: ID!) { settleReceivable(id: $id) { errors { code message field } receivable { id } } }`, { id: r.id }, "settleReceivable"), result.reload())} />
                </div>
              ) : null}
            </Section>
            {r.conditions.length ? (
              <Section title="Disbursement conditions">
                <Table head={["Condition", "Met", "When", "Evidence", "Detail"]} empty="" rows={r.conditions.map((c) => [words(c.kind), <Yes ok={c.met} />, dateTime(c.metAt), c.evidence ?? "—", c.detail ?? ""])} />
                <p class="muted">
                  Disbursed {dateTime(r.disbursedAt)}
                  {r.repayDaysAfterDelivery !== null ? ` · repay ${r.repayDaysAfterDelivery} days after delivery (${dateTime(r.deliveredAt)}), due ${day(r.repaymentDue)}` : ""}
                </p>
              </Section>
            ) : null}
            <Claim title="Authentic: every record is what was anchored" ok={v.authentic}>
              {v.records.map((rec) => (
                <details>
                  <summary>
                    {rec.ref} <Badge value={rec.verification.status} />
                  </summary>
                  <VerificationDetail v={rec.verification} />
                </details>
              ))}
            </Claim>
            <Claim title="The trade happened" ok={v.tradeHappened}>
              <Table head={["Point", "", "Detail", "Evidence"]} empty="" rows={v.trade.map((t) => [t.point, <Yes ok={t.ok} />, t.detail, t.evidence.join(", ")])} />
            </Claim>
            <Claim title="The amounts agree" ok={v.amountsAgree}>
              <Table head={["Source", "", "Expected", "Found", "Detail"]} empty="" rows={v.amounts.map((a) => [a.source, <Yes ok={a.ok} />, money(a.expected, a.currency), money(a.found, a.currency), a.detail])} />
            </Claim>
            <Claim title="The evidence covers the financing, and nobody else financed it" ok={v.evidenceCovers && !v.pledgedElsewhere}>
              <Table
                head={["Evidence", "Value", "Drawn by others", "Remaining", "This draw", ""]}
                empty="No draws."
                rows={v.draws.map((d) => [d.label, money(d.value, d.currency), money(d.drawnByOthers, d.currency), money(d.remaining, d.currency), money(d.draw, d.currency), d.overdrawn ? <Badge value="OVERDRAWN" tone="bad" /> : ""])}
              />
              <Table head={["Bill", "State", "Title held by", "As collateral"]} empty="No title is cited." rows={v.titles.map((t) => [t.billNumber, t.state, t.holder?.name ?? "—", <Yes ok={t.collateral} />])} />
            </Claim>
            <Section title="History">
              <Table head={["When", "What", "By", "Detail", "Block"]} empty="" rows={r.history.map((h) => [dateTime(h.at), words(h.action), h.by?.name ?? "—", [h.condition, h.evidence, h.detail].filter(Boolean).join(" · "), h.blockNumber ?? "—"])} />
            </Section>
          </>
        );
      }}
    </Show>
  );
}

export function ExposurePage() {
  const result = useQuery<{ financeExposure: { evidence: E[]; overdrawn: E[]; bySeller: P[]; byBank: P[] } }>(
    `{ financeExposure { evidence { ref label currency value drawn drawnOnChain receivables overdrawn } overdrawn { ref label currency value drawn }
      bySeller { organisation { name } currency amount receivables } byBank { organisation { name } currency amount receivables } } }`,
  );
  return (
    <Show result={result} what="exposure">
      {({ financeExposure: x }) => (
        <>
          <Section title="Evidence drawn beyond its value">
            <Table head={["Evidence", "Value", "Drawn"]} empty="None: no evidence is drawn beyond its value." rows={x.overdrawn.map((e) => [e.label, money(e.value, e.currency), money(e.drawn, e.currency)])} />
          </Section>
          <Section title="By bank">
            <Table head={["Bank", "Financed", "Receivables"]} empty="No live financing." rows={x.byBank.map((p) => [p.organisation?.name ?? "—", money(p.amount, p.currency), p.receivables])} />
          </Section>
          <Section title="By seller">
            <Table head={["Seller", "Financed", "Receivables"]} empty="No live financing." rows={x.bySeller.map((p) => [p.organisation?.name ?? "—", money(p.amount, p.currency), p.receivables])} />
          </Section>
          <Section title="Per evidence">
            <Table head={["Evidence", "Value", "Drawn", "On chain", "Receivables"]} empty="No evidence is drawn." rows={x.evidence.map((e) => [e.label, money(e.value, e.currency), money(e.drawn, e.currency), money(e.drawnOnChain, e.currency), e.receivables])} />
          </Section>
        </>
      )}
    </Show>
  );
}

interface E {
  ref: string;
  label: string;
  currency: string;
  value: string;
  drawn: string;
  drawnOnChain?: string;
  receivables?: number;
}
interface P {
  organisation: { name: string } | null;
  currency: string;
  amount: string;
  receivables: number;
}
