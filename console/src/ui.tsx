// Small building blocks the pages share: loading a query, showing errors, tables, forms.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, gql } from "./api";

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Run a query when the page opens and whenever its variables change. */
export function useQuery<T>(query: string, variables: Record<string, unknown> = {}, skip = false): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(!skip);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    let live = true;
    setLoading(true);
    gql<T>(query, variables)
      .then((d) => live && (setData(d), setError(null)))
      .catch((e: unknown) => live && setError(e instanceof ApiError ? e : new ApiError(String(e), "ERROR")))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [query, key, tick, skip]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export function ErrorBox({ error }: { error: ApiError | Error | string | null }) {
  if (!error) return null;
  const message = typeof error === "string" ? error : error.message;
  const code = error instanceof ApiError ? error.code : null;
  return (
    <p class="error" role="alert">
      {code && code !== "ERROR" ? <strong>{code.replace(/_/g, " ").toLowerCase()}: </strong> : null}
      {message}
      {error instanceof ApiError && error.field ? <span class="place"> (at {error.field})</span> : null}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** A query's result: its error, a loading note, or the content. */
export function Show<T>({ result, what, children }: { result: Loaded<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (result.error) return <ErrorBox error={result.error} />;
  if (result.data === null) return <Loading what={what} />;
  return <>{children(result.data)}</>;
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function Badge({ value, tone }: { value: string; tone?: "good" | "bad" | "warn" | "info" }) {
  return <span class={`badge ${tone ?? toneOf(value)}`}>{value.replace(/_/g, " ")}</span>;
}

const GOOD = new Set(["ANCHORED", "MATCHED", "RELEASED", "CLEARED", "ACCEPTED", "ISSUED", "DELIVERED", "REPAID", "SETTLED", "WITHIN_LIMITS", "yes"]);
const BAD = new Set(["TAMPERED", "MISMATCH", "REJECTED", "DETAINED", "HOLD", "VOID", "OVER_SINGLE_LIMIT", "OVER_ANNUAL_LIMIT", "no", "NOT_FOUND", "RETURNED"]);
const WARN = new Set(["PENDING", "INCOMPLETE", "INSPECTION", "SUBMITTED", "DRAFT", "IN_TRANSIT", "PLEDGED", "SURRENDER_REQUESTED"]);

function toneOf(value: string): "good" | "bad" | "warn" | "info" {
  if (GOOD.has(value)) return "good";
  if (BAD.has(value)) return "bad";
  if (WARN.has(value)) return "warn";
  return "info";
}

export function Yes({ ok }: { ok: boolean }) {
  return <Badge value={ok ? "yes" : "no"} />;
}

export function Table({ head, rows, empty, caption }: { head: string[]; rows: ComponentChildren[][]; empty: string; caption?: string }) {
  if (!rows.length) return <p class="muted">{empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              {r.map((c) => (
                <td>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** A button that runs an action, shows it is busy, and reports the outcome beside it. */
export function Action({ label, run, confirm, done }: { label: string; run: () => Promise<unknown>; confirm?: string; done?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [ok, setOk] = useState(false);
  const click = async () => {
    if (confirm && !window.confirm(confirm)) return;
    setBusy(true);
    setError(null);
    setOk(false);
    try {
      await run();
      setOk(true);
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button type="button" onClick={click} disabled={busy}>
        {busy ? `${label}…` : label}
      </button>
      {ok && done ? (
        <span class="ok" role="status">
          {done}
        </span>
      ) : null}
      <ErrorBox error={error} />
    </span>
  );
}

/** Download text as a file, made in the page (nothing leaves the browser). */
export function download(name: string, text: string, type = "application/json"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file input that also takes files dropped on it; ``onFiles`` gets what was chosen or dropped. */
export function DropZone({ label, name, onFiles, multiple, accept, hint }: { label: string; name: string; onFiles: (files: File[]) => void; multiple?: boolean; accept?: string; hint?: string }) {
  const [over, setOver] = useState(false);
  return (
    <div
      class={over ? "drop over" : "drop"}
      onDragOver={(e) => (e.preventDefault(), setOver(true))}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const files = Array.from(e.dataTransfer?.files ?? []);
        if (files.length) onFiles(files);
      }}
    >
      <label class="field">
        <span>{label}</span>
        <input
          type="file"
          name={name}
          multiple={multiple}
          accept={accept}
          onChange={(e) => {
            const files = Array.from((e.target as HTMLInputElement).files ?? []);
            if (files.length) onFiles(files);
          }}
        />
      </label>
      {hint ? <p class="muted">{hint}</p> : null}
    </div>
  );
}

