import { useEffect, useState } from "preact/hooks";
import { mutate, subscribe } from "../api";
import { dateTime, money, words } from "../format";
import { can, useMe } from "../me";
import { href } from "../router";
import { Action, Badge, ErrorBox, Field, Section, Show, Table, useQuery } from "../ui";
import { VerifyButton } from "./verify";

const ORDERS = `query Orders { commerceOrders(first: 200) { nodes { id orderNo ebpCode ebcName buyerName goodsValue acturalPaid
  matchStatus problems { code message } tax { total limitStatus } customsStatus inventoryList { id copNo status } createdAt } }
  inventoryLists(first: 200) { nodes { id copNo orderNo status customsCode portCode customsValue logisticsNo updatedAt
  receipts { returnStatus returnTime returnInfo status } } } }`;

interface OrderRow {
  id: string;
  orderNo: string;
  ebpCode: string;
  ebcName: string | null;
  buyerName: string | null;
  goodsValue: string | null;
  acturalPaid: string | null;
  matchStatus: string;
  problems: { code: string; message: string }[];
  tax: { total: string; limitStatus: string } | null;
  customsStatus: string | null;
  inventoryList: { id: string; copNo: string; status: string } | null;
}

interface ListRow {
  id: string;
  copNo: string;
  orderNo: string;
  status: string;
  customsCode: string;
  portCode: string;
  customsValue: string;
  logisticsNo: string;
  updatedAt: string;
  receipts: { returnStatus: string; returnTime: string; returnInfo: string; status: string }[];
}

function Draft({ orders, done }: { orders: OrderRow[]; done: () => void }) {
  const me = useMe();
  const [customsCode, setCustomsCode] = useState("0900");
  const [portCode, setPortCode] = useState("0900");
  if (!can(me, "commerce:trade") || me.organisation.type === "CUSTOMS") return null;
  const ready = orders.filter((o) => o.matchStatus === "MATCHED" && !o.inventoryList);
  return (
    <Section title="Draft inventory lists (CEB621)">
      <p>{ready.length} matched order(s) without an inventory list.</p>
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <Field label="Customs code">
          <input name="customsCode" value={customsCode} onInput={(e) => setCustomsCode((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Port code">
          <input name="portCode" value={portCode} onInput={(e) => setPortCode((e.target as HTMLInputElement).value)} />
        </Field>
        {ready.length ? (
          <Action
            label={`Draft ${ready.length} list(s)`}
            run={async () => {
              await mutate(
                `mutation G($ids: [ID!]!, $d: DeclarationInput!) { generateInventoryLists(orderIds: $ids, declaration: $d) { errors { code message field } inventoryLists { id } } }`,
                { ids: ready.map((o) => o.id), d: { customsCode, portCode } },
                "generateInventoryLists",
              );
              done();
            }}
            done="Drafted."
          />
        ) : null}
      </form>
    </Section>
  );
}

function Receipt({ list, done }: { list: ListRow; done: () => void }) {
  const [status, setStatus] = useState("800");
  const [info, setInfo] = useState("");
  return (
    <span class="form-row">
      <select aria-label={`Receipt for ${list.copNo}`} value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
        <option value="120">120 accepted</option>
        <option value="500">500 detained</option>
        <option value="800">800 released</option>
        <option value="100">100 rejected</option>
      </select>
      <input aria-label="Receipt note" value={info} placeholder="note" onInput={(e) => setInfo((e.target as HTMLInputElement).value)} />
      <Action
        label="Record receipt"
        run={async () => {
          await mutate(
            `mutation R($input: InventoryReceiptInput!) { recordInventoryReceipt(input: $input) { errors { code message field } inventoryList { id status } } }`,
            { input: { copNo: list.copNo, returnStatus: status, returnInfo: info || "recorded in the console" } },
            "recordInventoryReceipt",
          );
          done();
        }}
      />
    </span>
  );
}

export function OrdersPage() {
  const me = useMe();
  const result = useQuery<{ commerceOrders: { nodes: OrderRow[] }; inventoryLists: { nodes: ListRow[] } }>(ORDERS);
  const [live, setLive] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { reload } = result;
  useEffect(
    () =>
      subscribe<{ customsReceipts: { copNo: string; status: string } }>(
        `subscription { customsReceipts { copNo status } }`,
        {},
        (d) => (setLive(`${d.customsReceipts.copNo} is now ${words(d.customsReceipts.status).toLowerCase()}`), reload()),
        setError,
      ),
    [],
  );
  const customs = can(me, "customs:decide");
  return (
    <>
      <Show result={result} what="orders">
        {(d) => (
          <>
            <Section title="Cross-border orders">
              <Table
                head={["Order", "Seller", "Buyer", "Paid", "Match", "Problems", "Tax", "Limits", "Inventory list"]}
                empty="No orders you may read."
                rows={d.commerceOrders.nodes.map((o) => [
                  <a href={href(`/orders/${o.id}`)}>{o.orderNo}</a>,
                  o.ebcName ?? "—",
                  o.buyerName ?? "—",
                  money(o.acturalPaid, "CNY"),
                  <Badge value={o.matchStatus} />,
                  o.problems.map((p) => p.message).join("; ") || "—",
                  money(o.tax?.total, "CNY"),
                  o.tax ? <Badge value={o.tax.limitStatus} /> : "—",
                  o.inventoryList ? (
                    <>
                      {o.inventoryList.copNo} <Badge value={o.inventoryList.status} />
                    </>
                  ) : (
                    "—"
                  ),
                ])}
              />
            </Section>
            <Draft orders={d.commerceOrders.nodes} done={reload} />
            <Section title="Inventory lists and customs receipts">
              {live ? (
                <p class="live" role="status" data-testid="receipt-live">
                  Live: {live}
                </p>
              ) : null}
              <ErrorBox error={error} />
              <SubmitDrafts lists={d.inventoryLists.nodes} done={reload} />
              <Table
                head={["List (copNo)", "Order", "Status", "Customs", "Value", "Last receipt", customs ? "Answer" : ""]}
                empty="No inventory lists."
                rows={d.inventoryLists.nodes.map((l) => {
                  const last = l.receipts[l.receipts.length - 1];
                  return [
                    l.copNo,
                    l.orderNo,
                    <Badge value={l.status} />,
                    `${l.customsCode} / ${l.portCode}`,
                    money(l.customsValue, "CNY"),
                    last ? `${last.returnStatus} ${last.returnInfo} (${last.returnTime})` : "—",
                    customs && l.status !== "DRAFT" ? <Receipt list={l} done={reload} /> : "",
                  ];
                })}
              />
            </Section>
          </>
        )}
      </Show>
    </>
  );
}

function SubmitDrafts({ lists, done }: { lists: ListRow[]; done: () => void }) {
  const me = useMe();
  const drafts = lists.filter((l) => l.status === "DRAFT");
  if (!drafts.length || !can(me, "commerce:trade") || me.organisation.type === "CUSTOMS") return null;
  return (
    <p>
      <Action
        label={`Submit ${drafts.length} draft(s) to customs`}
        run={async () => {
          await mutate(`mutation S($ids: [ID!]!) { submitInventoryLists(ids: $ids) { errors { code message field } inventoryLists { id } } }`, { ids: drafts.map((l) => l.id) }, "submitInventoryLists");
          done();
        }}
        done="Submitted."
      />
    </p>
  );
}

const ORDER = `query O($id: ID!) { commerceOrder(id: $id) { id orderNo ebpCode ebcCode ebcName source buyerName consignee goodsValue freight discount taxTotal acturalPaid
  matchStatus problems { code document field expected found message }
  tax { customsValue limitStatus annualUsedBefore annualUsedAfter duty consumptionTax vat total share notes
        lines { gnum hsCode customsValue duty consumptionTax vat tariffRate vatRate consumptionRate ratesFrom } }
  lines { gnum itemName gmodel unit qty price totalPrice country hsCode }
  payment { payCode payTransactionId payerName amountPaid payTime }
  waybill { logisticsCode logisticsNo billNo containerNumber weightKg }
  inventoryList { copNo status receipts { returnStatus returnTime returnInfo } }
  version createdAt } }`;

interface Order {
  id: string;
  orderNo: string;
  ebpCode: string;
  ebcCode: string;
  ebcName: string | null;
  source: string;
  buyerName: string | null;
  consignee: string | null;
  goodsValue: string | null;
  freight: string | null;
  discount: string | null;
  taxTotal: string | null;
  acturalPaid: string | null;
  matchStatus: string;
  problems: { code: string; document: string; field: string; expected: string | null; found: string | null; message: string }[];
  tax: {
    customsValue: string;
    limitStatus: string;
    annualUsedBefore: string;
    annualUsedAfter: string;
    duty: string;
    consumptionTax: string;
    vat: string;
    total: string;
    share: string;
    notes: string[];
    lines: { gnum: number; hsCode: string | null; customsValue: string; duty: string; consumptionTax: string; vat: string; tariffRate: string; vatRate: string; consumptionRate: string; ratesFrom: string }[];
  } | null;
  lines: { gnum: number; itemName: string; gmodel: string | null; unit: string; qty: string; price: string; totalPrice: string; country: string | null; hsCode: string | null }[];
  payment: { payCode: string; payTransactionId: string; payerName: string | null; amountPaid: string | null; payTime: string | null } | null;
  waybill: { logisticsCode: string; logisticsNo: string; billNo: string | null; containerNumber: string | null; weightKg: string | null } | null;
  inventoryList: { copNo: string; status: string; receipts: { returnStatus: string; returnTime: string; returnInfo: string }[] } | null;
  version: number;
  createdAt: string;
}

export function OrderPage({ id }: { id: string }) {
  const result = useQuery<{ commerceOrder: Order }>(ORDER, { id });
  return (
    <Show result={result} what="the order">
      {({ commerceOrder: o }) => (
        <>
          <Section title={`Order ${o.orderNo}`}>
            <p>
              <Badge value={o.matchStatus} /> from {o.source} · platform {o.ebpCode} · seller {o.ebcName ?? o.ebcCode} · received {dateTime(o.createdAt)}
            </p>
            <dl class="facts">
              <dt>Buyer</dt>
              <dd>{o.buyerName ?? "—"}</dd>
              <dt>Goods</dt>
              <dd>{money(o.goodsValue, "CNY")}</dd>
              <dt>Freight · discount</dt>
              <dd>
                {money(o.freight)} · {money(o.discount)}
              </dd>
              <dt>Tax declared</dt>
              <dd>{money(o.taxTotal, "CNY")}</dd>
              <dt>Paid</dt>
              <dd>{money(o.acturalPaid, "CNY")}</dd>
            </dl>
            <VerifyButton kind="ceb_order" id={o.id} />
          </Section>
          <Section title="Three-document match">
            <dl class="facts">
              <dt>Payment (CEB411)</dt>
              <dd>{o.payment ? `${o.payment.payCode} ${o.payment.payTransactionId}, ${money(o.payment.amountPaid, "CNY")}` : "missing"}</dd>
              <dt>Waybill (CEB511)</dt>
              <dd>{o.waybill ? `${o.waybill.logisticsCode} ${o.waybill.logisticsNo}${o.waybill.containerNumber ? `, container ${o.waybill.containerNumber}` : ""}` : "missing"}</dd>
            </dl>
            <Table
              head={["Problem", "Document", "Field", "Expected", "Found", "What"]}
              empty="The order, payment and waybill agree."
              rows={o.problems.map((p) => [p.code, p.document, p.field, p.expected ?? "—", p.found ?? "—", p.message])}
            />
          </Section>
          <Section title="Lines">
            <Table
              head={["#", "Item", "Model", "Qty", "Price", "Total", "Origin", "HS"]}
              empty="No lines."
              rows={o.lines.map((l) => [l.gnum, l.itemName, l.gmodel ?? "—", `${l.qty} ${l.unit}`, money(l.price), money(l.totalPrice), l.country ?? "—", l.hsCode ?? "—"])}
            />
          </Section>
          {o.tax ? (
            <Section title="Tax">
              <p>
                <Badge value={o.tax.limitStatus} /> customs value {money(o.tax.customsValue, "CNY")}; the buyer's annual use goes from {money(o.tax.annualUsedBefore)} to {money(o.tax.annualUsedAfter)}.
              </p>
              <dl class="facts">
                <dt>Duty</dt>
                <dd>{money(o.tax.duty, "CNY")}</dd>
                <dt>Consumption tax</dt>
                <dd>{money(o.tax.consumptionTax, "CNY")}</dd>
                <dt>VAT</dt>
                <dd>{money(o.tax.vat, "CNY")}</dd>
                <dt>Payable</dt>
                <dd data-testid="tax-total">
                  <strong>{money(o.tax.total, "CNY")}</strong> ({o.tax.share} of the full rate)
                </dd>
              </dl>
              <Table
                head={["#", "HS", "Value", "Tariff", "Duty", "Consumption", "VAT", "Rates from"]}
                empty="No lines."
                rows={o.tax.lines.map((l) => [l.gnum, l.hsCode ?? "—", money(l.customsValue), l.tariffRate, money(l.duty), `${money(l.consumptionTax)} (${l.consumptionRate})`, `${money(l.vat)} (${l.vatRate})`, l.ratesFrom])}
              />
              {o.tax.notes.length ? (
                <ul class="notes">
                  {o.tax.notes.map((n) => (
                    <li>{n}</li>
                  ))}
                </ul>
              ) : null}
            </Section>
          ) : null}
          {o.inventoryList ? (
            <Section title={`Inventory list ${o.inventoryList.copNo}`}>
              <p>
                <Badge value={o.inventoryList.status} />
              </p>
              <Table head={["Status", "When", "Customs said"]} empty="No receipts yet." rows={o.inventoryList.receipts.map((r) => [r.returnStatus, r.returnTime, r.returnInfo])} />
            </Section>
          ) : null}
        </>
      )}
    </Show>
  );
}
