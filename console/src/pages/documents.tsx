import { useEffect, useState } from "preact/hooks";
import { gql, mutate, subscribe } from "../api";
import { day, money, words } from "../format";
import { can, useMe } from "../me";
import { Action, ErrorBox, Field, Section, Show, Table, download, useQuery } from "../ui";
import { VerifyButton } from "./verify";

const DOCS = `query Docs { documents(first: 100) { nodes { id kind reference title issuedOn amount currency version
  owner { id name } sharedWith { id granteeOrgId revokedAt grantee { name } } } } organisations { id name type } }`;

interface Doc {
  id: string;
  kind: string;
  reference: string;
  title: string;
  issuedOn: string;
  amount: string | null;
  currency: string | null;
  version: number;
  owner: { id: string; name: string };
  sharedWith: { id: string; granteeOrgId: string; revokedAt: string | null; grantee: { name: string } | null }[];
}

function ShareControl({ doc, orgs, done }: { doc: Doc; orgs: { id: string; name: string; type: string }[]; done: () => void }) {
  const me = useMe();
  const [to, setTo] = useState("");
  if (doc.owner.id !== me.organisation.id || !can(me, "records:share")) return null;
  const live = doc.sharedWith.filter((s) => !s.revokedAt);
  return (
    <div class="form-row">
      <Field label={`Share ${doc.reference} with`}>
        <select name="shareWith" value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
          <option value="">Choose…</option>
          {orgs
            .filter((o) => o.id !== me.organisation.id && o.type !== "ADMIN" && !live.some((s) => s.granteeOrgId === o.id))
            .map((o) => (
              <option value={o.id}>{o.name}</option>
            ))}
        </select>
      </Field>
      <Action
        label="Share"
        run={async () => {
          await mutate(`mutation S($input: ShareRecordInput!) { shareRecord(input: $input) { errors { code message field } share { id } } }`, { input: { kind: "document", recordId: doc.id, withOrgId: to } }, "shareRecord");
          setTo("");
          done();
        }}
        done="Shared."
      />
      {live.map((s) => (
        <Action
          label={`Revoke ${s.grantee?.name ?? "share"}`}
          confirm={`Stop sharing ${doc.reference} with ${s.grantee?.name}? Their access ends at once.`}
          run={async () => {
            await mutate(`mutation R($id: ID!) { revokeShare(id: $id) { errors { code message field } share { id } } }`, { id: s.id }, "revokeShare");
            done();
          }}
        />
      ))}
    </div>
  );
}

function NewDocument({ done }: { done: () => void }) {
  const me = useMe();
  const [kind, setKind] = useState("COMMERCIAL_INVOICE");
  const [reference, setReference] = useState("");
  const [title, setTitle] = useState("");
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState("USD");
  if (!can(me, "records:write")) return null;
  return (
    <Section title="New document">
      <form class="form-row" onSubmit={(e) => e.preventDefault()}>
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            {["COMMERCIAL_INVOICE", "PACKING_LIST", "CERTIFICATE_OF_ORIGIN", "INSURANCE_CERTIFICATE", "INSPECTION_CERTIFICATE", "SALES_CONTRACT", "OTHER"].map((k) => (
              <option value={k}>{words(k)}</option>
            ))}
          </select>
        </Field>
        <Field label="Reference">
          <input name="reference" value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field label="Title">
          <input name="title" value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} required />
        </Field>
        <Field label="Amount">
          <input name="amount" inputMode="decimal" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Currency">
          <input name="currency" value={currency} maxLength={3} onInput={(e) => setCurrency((e.target as HTMLInputElement).value.toUpperCase())} />
        </Field>
        <Action
          label="Create"
          run={async () => {
            const input = { kind, reference, title, issuedOn: new Date().toISOString().slice(0, 10), amount: amount || null, currency: amount ? currency : null };
            await mutate(`mutation C($input: CreateDocumentInput!) { createDocument(input: $input) { errors { code message field } document { id } } }`, { input }, "createDocument");
            setReference("");
            setTitle("");
            setAmount("");
            done();
          }}
          done="Created."
        />
      </form>
    </Section>
  );
}

export function DocumentsPage() {
  const result = useQuery<{ documents: { nodes: Doc[] }; organisations: { id: string; name: string; type: string }[] }>(DOCS);
  const [live, setLive] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const { reload } = result;
  useEffect(
    () =>
      subscribe<{ documentChanged: { change: string; documentId: string; version: number } }>(
        `subscription { documentChanged { change documentId version } }`,
        {},
        (d) => (setLive(`${words(d.documentChanged.change)}: document ${d.documentChanged.documentId} v${d.documentChanged.version}`), reload()),
        (m) => setError(new Error(m)),
      ),
    [],
  );
  const exportOa = async (doc: Doc) => {
    setError(null);
    try {
      const d = await gql<{ exportDocument: string }>(`query X($id: ID!) { exportDocument(id: $id) }`, { id: doc.id });
      download(`${doc.reference.replace(/[^A-Za-z0-9_.-]+/g, "-")}.tt`, d.exportDocument);
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <>
      <NewDocument done={reload} />
      <Section title="Documents">
        {live ? (
          <p class="live" role="status">
            Live: {live}
          </p>
        ) : null}
        <ErrorBox error={error} />
        <Show result={result} what="documents">
          {(d) => (
            <Table
              head={["Reference", "Kind", "Title", "Issued", "Amount", "Owner", "Shared with", ""]}
              empty="No documents you may read."
              rows={d.documents.nodes.map((doc) => [
                doc.reference,
                words(doc.kind),
                doc.title,
                day(doc.issuedOn),
                money(doc.amount, doc.currency),
                doc.owner.name,
                <>
                  {doc.sharedWith
                    .filter((s) => !s.revokedAt)
                    .map((s) => s.grantee?.name)
                    .join(", ") || "—"}
                  <ShareControl doc={doc} orgs={d.organisations} done={reload} />
                </>,
                <>
                  <VerifyButton kind="document" id={doc.id} label="Verify" />
                  <button type="button" onClick={() => void exportOa(doc)}>
                    OpenAttestation file
                  </button>
                </>,
              ])}
            />
          )}
        </Show>
      </Section>
    </>
  );
}
