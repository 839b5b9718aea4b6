import { useState } from "preact/hooks";
import { ApiError, gql } from "../api";
import { dateTime } from "../format";
import { exportName, meaning, short, steps, verifyCommand, type VerificationView } from "../proof";
import { Badge, DropZone, ErrorBox, Field, Section, download } from "../ui";

const VERIFY = `query V($kind: String!, $id: ID!) { verifyRecord(kind: $kind, id: $id) {
  status kind recordId version recordHash leaf leafIndex proof merkleRoot chainId contract transactionHash blockNumber anchoredAt detail } }`;
const EXPORT = `query E($kind: String!, $id: ID!) { exportRecord(kind: $kind, id: $id) }`;
const CHECK = `query C($file: String!) { checkExportedRecord(file: $file) { verified kind recordId version steps } }`;

/** A verification shown in full: what it means, the proof step by step, and where on chain. */
export function VerificationDetail({ v }: { v: VerificationView }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const save = async () => {
    setError(null);
    try {
      const d = await gql<{ exportRecord: string }>(EXPORT, { kind: v.kind, id: v.recordId });
      const name = exportName(v.kind, v.recordId, v.version);
      download(name, d.exportRecord);
      setSaved(name);
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <div class="verification" data-testid="verification">
      <p>
        <Badge value={v.status} /> {meaning(v.status)}
      </p>
      <p class="muted">{v.detail}</p>
      <dl class="facts mono">
        <dt>Record</dt>
        <dd>
          {v.kind} {v.recordId} {v.version === null ? "" : `v${v.version}`}
        </dd>
        <dt>Record hash</dt>
        <dd title={v.recordHash ?? ""}>{short(v.recordHash)}</dd>
        <dt>Leaf</dt>
        <dd title={v.leaf ?? ""}>
          {short(v.leaf)} {v.leafIndex === null ? "" : `(index ${v.leafIndex})`}
        </dd>
        <dt>Merkle root</dt>
        <dd title={v.merkleRoot ?? ""}>{short(v.merkleRoot)}</dd>
        <dt>Transaction</dt>
        <dd title={v.transactionHash ?? ""}>{short(v.transactionHash)}</dd>
        <dt>Block</dt>
        <dd>{v.blockNumber ?? "—"}</dd>
        <dt>Chain · registry</dt>
        <dd>
          {v.chainId ?? "—"} · <span title={v.contract ?? ""}>{short(v.contract)}</span>
        </dd>
        <dt>Anchored</dt>
        <dd>{dateTime(v.anchoredAt)}</dd>
      </dl>
      {v.proof.length ? (
        <details>
          <summary>Merkle proof: {v.proof.length} steps from the leaf to the root</summary>
          <ol class="mono">
            {steps(v).map((s) => (
              <li title={s.sibling}>
                level {s.level}: hash with sibling {short(s.sibling, 10)}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {v.status === "ANCHORED" ? (
        <p>
          <button type="button" onClick={save}>
            Download to check it yourself
          </button>
          {saved ? (
            <span class="muted" role="status">
              {" "}
              Saved {saved}. Check it without the hub: <code>{verifyCommand(saved, v.chainId)}</code>
            </span>
          ) : null}
        </p>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}

/** A "Verify" button for one record, showing the verification below it. */
export function VerifyButton({ kind, id, label = "Verify on chain" }: { kind: string; id: string; label?: string }) {
  const [v, setV] = useState<VerificationView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async () => {
    setError(null);
    try {
      setV((await gql<{ verifyRecord: VerificationView }>(VERIFY, { kind, id })).verifyRecord);
    } catch (e) {
      setError(e as ApiError);
    }
  };
  return (
    <div>
      <button type="button" onClick={run}>
        {label}
      </button>
      <ErrorBox error={error} />
      {v ? <VerificationDetail v={v} /> : null}
    </div>
  );
}

interface Check {
  verified: boolean;
  kind: string | null;
  recordId: string | null;
  version: number | null;
  steps: string[];
}

export function VerifyPage() {
  const [check, setCheck] = useState<Check | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [kind, setKind] = useState("document");
  const [id, setId] = useState("");
  const checkFile = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setCheck(null);
    try {
      const text = await file.text();
      setCheck((await gql<{ checkExportedRecord: Check }>(CHECK, { file: text })).checkExportedRecord);
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <>
      <Section title="Verify an exported record">
        <p>
          Drop a record file downloaded from the hub (the "check it yourself" download) or an OpenAttestation (TradeTrust) file of a document, whole or with fields its holder hid. The hub recomputes the hash from the file's content, walks its proof to the root and asks the chain: nothing comes from the hub's database, so a changed file shows where it fails.
        </p>
        <DropZone label="Record file" name="record" accept=".json,.tt,application/json" onFiles={(files) => void checkFile(files[0])} />
        <ErrorBox error={error} />
        {check ? (
          <div data-testid="check">
            <p>
              <Badge value={check.verified ? "VERIFIED" : "FAILED"} tone={check.verified ? "good" : "bad"} />{" "}
              {check.kind ? `${check.kind} ${check.recordId ?? ""} ${check.version === null ? "" : `v${check.version}`}` : ""}
            </p>
            <ol class="steps">
              {check.steps.map((s, i) => (
                <li class={!check.verified && i === check.steps.length - 1 ? "failed" : "passed"}>{s}</li>
              ))}
            </ol>
          </div>
        ) : null}
      </Section>
      <Section title="Verify a record by its id">
        <form class="form-row" onSubmit={(e) => e.preventDefault()}>
          <Field label="Kind">
            <select name="kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
              {["document", "bill", "tracking_event", "ceb_order", "ceb_inventory", "customs_declaration", "customs_decision", "port_call", "receivable"].map((k) => (
                <option value={k}>{k}</option>
              ))}
            </select>
          </Field>
          <Field label="Record id">
            <input name="recordId" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value.trim())} />
          </Field>
        </form>
        {id ? <VerifyButton kind={kind} id={id} key={`${kind}/${id}`} /> : null}
      </Section>
    </>
  );
}
