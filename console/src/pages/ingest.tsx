import { useState } from "preact/hooks";
import { ApiError, upload } from "../api";
import { can, useMe } from "../me";
import { ROUTES, sniff, type IngestKind } from "../ingest";
import { ErrorBox, Section, Table } from "../ui";

interface Item {
  name: string;
  size: number;
  kind: IngestKind | null;
  progress: number;
  report: Record<string, unknown> | null;
  error: ApiError | null;
}

interface Flagged {
  where?: string;
  equipmentReference?: string;
  flags?: string;
}

function Report({ report }: { report: Record<string, unknown> }) {
  const notes = Array.isArray(report.notes) ? (report.notes as string[]) : [];
  const flagged = Array.isArray(report.flagged) ? (report.flagged as Flagged[]) : [];
  const messages = Array.isArray(report.messages) ? (report.messages as { type?: string; reference?: string }[]) : [];
  const counts = Object.entries(report).filter(([, v]) => typeof v === "number" || typeof v === "string");
  return (
    <div class="report" data-testid="report">
      <dl class="facts">
        {counts.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{String(v)}</dd>
          </>
        ))}
      </dl>
      {messages.length ? <p class="muted">Messages: {messages.map((m) => `${m.type ?? "?"} ${m.reference ?? ""}`).join(", ")}</p> : null}
      {flagged.length ? (
        <Table
          head={["Where", "Container", "Flagged"]}
          empty=""
          caption="Stored, with a flag to look at"
          rows={flagged.map((f) => [f.where ?? "—", f.equipmentReference ?? "—", (f.flags ?? "").replace(/_/g, " ").toLowerCase()])}
        />
      ) : null}
      {notes.length ? (
        <ul class="notes">
          {notes.map((n) => (
            <li>{n}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function IngestPage() {
  const me = useMe();
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const allowed = can(me, "events:ingest") || can(me, "commerce:trade") || can(me, "customs:decide");
  if (!allowed) {
    return (
      <Section title="Ingest messages">
        <p class="note">This key does not send messages.</p>
      </Section>
    );
  }
  const update = (i: number, patch: Partial<Item>) => setItems((all) => all.map((it, j) => (j === i ? { ...it, ...patch } : it)));
  const send = async (i: number, file: File, kind: IngestKind) => {
    update(i, { kind, error: null, report: null, progress: 0 });
    const route = ROUTES[kind];
    try {
      const report = await upload(route.path, file, route.contentType, (f) => update(i, { progress: f }));
      update(i, { report });
    } catch (e) {
      update(i, { error: e instanceof ApiError ? e : new ApiError(String(e), "ERROR") });
    }
  };
  const add = async (files: FileList | null) => {
    if (!files) return;
    const start = items.length;
    const list = Array.from(files);
    const fresh: Item[] = [];
    for (const f of list) {
      const head = await f.slice(0, 4096).text();
      fresh.push({ name: f.name, size: f.size, kind: sniff(f.name, head), progress: 0, report: null, error: null });
    }
    setItems((all) => [...all, ...fresh]);
    fresh.forEach((it, k) => {
      if (it.kind) void send(start + k, list[k], it.kind);
    });
    pending.current = { ...pending.current, ...Object.fromEntries(list.map((f, k) => [start + k, f])) };
  };
  return (
    <Section title="Ingest messages">
      <p>
        Drop EDIFACT (CODECO, COARRI, IFTSTA, BAPLIE), DCSA Track &amp; Trace JSON, CEB XML or platform order CSV files. Each file is stored whole or refused whole; the report says what was stored, what was a duplicate, what was flagged and where a refused file is wrong.
      </p>
      <div
        class={over ? "drop over" : "drop"}
        onDragOver={(e) => (e.preventDefault(), setOver(true))}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void add(e.dataTransfer?.files ?? null);
        }}
      >
        <label class="field">
          <span>Files to send</span>
          <input type="file" name="files" multiple onChange={(e) => void add((e.target as HTMLInputElement).files)} />
        </label>
        <p class="muted">or drop them here</p>
      </div>
      <ul class="uploads">
        {items.map((it, i) => (
          <li data-testid="upload">
            <strong>{it.name}</strong> <span class="muted">({Math.ceil(it.size / 1024)} KB)</span>
            {it.kind === null ? (
              <span class="form-row">
                <label class="field">
                  <span>What is this file?</span>
                  <select
                    onChange={(e) => {
                      const kind = (e.target as HTMLSelectElement).value as IngestKind;
                      const file = pending.current[i];
                      if (kind && file) void send(i, file, kind);
                    }}
                  >
                    <option value="">Choose…</option>
                    {Object.entries(ROUTES).map(([k, r]) => (
                      <option value={k}>{r.label}</option>
                    ))}
                  </select>
                </label>
              </span>
            ) : (
              <span class="muted"> · {ROUTES[it.kind].label}</span>
            )}
            <progress max={1} value={it.progress} aria-label={`Upload of ${it.name}`} />
            {it.report ? <Report report={it.report} /> : null}
            <ErrorBox error={it.error} />
          </li>
        ))}
      </ul>
    </Section>
  );
}

// Files waiting for the user to say what they are, by their place in the list.
const pending: { current: Record<number, File> } = { current: {} };
