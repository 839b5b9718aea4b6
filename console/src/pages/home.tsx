import { can, navFor, useMe } from "../me";
import { href } from "../router";

const WHAT: Record<string, string> = {
  FORWARDER: "Track containers on their journeys, keep your through bills and move their titles.",
  CARRIER: "Report equipment and transport events, issue bills and follow their titles.",
  TERMINAL: "Send your terminal's messages and watch calls, the yard and holds.",
  PORT_OPERATOR: "Vessel calls of the week, discharge and load lists, holds, the yard and its dwell times.",
  SELLER: "Your documents, cross-border orders and their customs status, and receivables to finance.",
  PLATFORM: "Cross-border orders, the three-document match, tax, and inventory lists with their receipts.",
  BANK: "Receivables shared with you, verified claim by claim on chain; pledge, repay and settle.",
  CUSTOMS: "Declarations with the source of every field; decide, hold and release.",
  REGULATOR: "Read-only audit of every organisation's records, and finance exposure across banks.",
  ADMIN: "The hub's directory and keys (through the API); the hub's operator sees no trade data.",
};

export function HomePage() {
  const me = useMe();
  const readOnly = !can(me, "records:write");
  return (
    <section class="card">
      <h1>{me.organisation.name}</h1>
      <p>{WHAT[me.organisation.type] ?? ""}</p>
      {readOnly ? <p class="note">This key reads only: no page shows a control that changes anything.</p> : null}
      <ul class="tiles">
        {navFor(me.organisation.type).map((item) => (
          <li>
            <a href={href(item.path)}>{item.label}</a>
          </li>
        ))}
      </ul>
      <details>
        <summary>What this key may do</summary>
        <ul>
          {me.permissions.map((p) => (
            <li>
              <code>{p}</code>
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
