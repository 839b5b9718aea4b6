import { useState } from "preact/hooks";
import { ApiError, upload } from "../api";
import { can, useMe } from "../me";
import { ROUTES, sniff, type IngestKind } from "../ingest";
import { DropZone, ErrorBox, Section, Table } from "../ui";

interface Item {
  file: File;
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
  const add = async (files: File[]) => {
    const start = items.length;
    const fresh: Item[] = [];
    for (const file of files) {
      const head = await file.slice(0, 4096).text();
      fresh.push({ file, kind: sniff(file.name, head), progress: 0, report: null, error: null });
    }
    setItems((all) => [...all, ...fresh]);
    fresh.forEach((it, k) => {
      if (it.kind) void send(start + k, it.file, it.kind);
    });
  };
  return (
    <Section title="Ingest messages">
      <p>
        Drop EDIFACT (CODECO, COARRI, IFTSTA, BAPLIE), DCSA Track &amp; Trace JSON, CEB XML or platform order CSV files. Each file is stored whole or refused whole; the report says what was stored, what was a duplicate, what was flagged and where a refused file is wrong.
      </p>
      <DropZone label="Files to send" name="files" multiple onFiles={(files) => void add(files)} hint="or drop them here" />
      <ul class="uploads">
        {items.map((it, i) => (
          <li data-testid="upload">
            <strong>{it.file.name}</strong> <span class="muted">({Math.ceil(it.file.size / 1024)} KB)</span>
            {it.kind === null ? (
              <span class="form-row">
                <label class="field">
                  <span>What is this file?</span>
                  <select
                    onChange={(e) => {
                      const kind = (e.target as HTMLSelectElement).value as IngestKind;
                      if (kind) void send(i, it.file, kind);
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
            <progress max={1} value={it.progress} aria-label={`Upload of ${it.file.name}`} />
            {it.report ? <Report report={it.report} /> : null}
            <ErrorBox error={it.error} />
          </li>
        ))}
      </ul>
    </Section>
  );
}
