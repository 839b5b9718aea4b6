// The console's only way to the hub: the public GraphQL endpoint (HTTP for queries and mutations,
// graphql-transport-ws for subscriptions) and the REST ingest endpoints, with the user's own key.
import { createClient, type Client } from "graphql-ws";
import { apiKey, signOut } from "./session";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** A mutation payload's typed refusal (UserError). */
export interface UserError {
  code: string;
  message: string;
  field: string | null;
}

function bearer(): string {
  const key = apiKey();
  if (!key) throw new ApiError("not signed in", "UNAUTHENTICATED");
  return `Bearer ${key}`;
}

/** A refused key ends the session: the user goes back to sign-in, told why. */
function refusedKey(message: string): never {
  signOut(`The hub refused the key: ${message}`);
  throw new ApiError(message, "UNAUTHENTICATED");
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: bearer() },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    refusedKey(body?.detail?.message ?? body?.message ?? "unauthenticated");
  }
  if (body === null) throw new ApiError(`the hub answered ${response.status}`, "HTTP");
  if (body.errors?.length) {
    const first = body.errors[0];
    const code = first.extensions?.code ?? "ERROR";
    if (code === "UNAUTHENTICATED") refusedKey(first.message);
    throw new ApiError(first.message, code, first.extensions?.field ?? null);
  }
  if (!response.ok) throw new ApiError(body.message ?? `the hub answered ${response.status}`, body.code ?? "HTTP");
  return body.data as T;
}

/** Run a mutation whose payload has `errors`; the payload's first error becomes an ApiError. */
export async function mutate<T>(query: string, variables: Record<string, unknown>, field: string): Promise<T> {
  const data = await gql<Record<string, { errors: UserError[] } & T>>(query, variables);
  const payload = data[field];
  if (payload.errors.length) {
    const e = payload.errors[0];
    throw new ApiError(e.message, e.code, e.field);
  }
  return payload;
}

/** GET a REST endpoint with the key; a refusal becomes an ApiError with the hub's code and place. */
export async function rest<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { Authorization: bearer() } });
  const body = await response.json().catch(() => null);
  if (response.status === 401) refusedKey(body?.message ?? "unauthenticated");
  if (!response.ok) throw new ApiError(body?.message ?? `the hub answered ${response.status}`, body?.code ?? "HTTP", body?.field ?? null);
  return body as T;
}

let ws: Client | null = null;
let wsKey: string | null = null;

function socket(): Client {
  const key = apiKey();
  if (ws === null || wsKey !== key) {
    ws?.dispose();
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
    wsKey = key;
    // A browser cannot set headers on a WebSocket: the key goes in connection_init, which the hub accepts.
    ws = createClient({ url, connectionParams: () => ({ Authorization: bearer() }), lazy: true, retryAttempts: 5 });
  }
  return ws;
}

/** Subscribe; returns the function that unsubscribes. */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError: (message: string) => void,
): () => void {
  return socket().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError(result.errors.map((e) => e.message).join("; "));
        else if (result.data) onData(result.data as T);
      },
      error: (err) => onError(err instanceof Error ? err.message : "the live connection closed"),
      complete: () => undefined,
    },
  );
}

export function closeSocket(): void {
  ws?.dispose();
  ws = null;
  wsKey = null;
}

/** POST a file to a REST ingest endpoint, reporting upload progress (0..1); resolves with the JSON answer. */
export function upload(
  path: string,
  file: Blob,
  contentType: string,
  onProgress: (fraction: number) => void,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Authorization", bearer());
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError("the upload did not reach the hub", "NETWORK"));
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { message: xhr.responseText };
      }
      onProgress(1);
      if (xhr.status === 401) {
        try {
          refusedKey(String(body.message ?? "unauthenticated"));
        } catch (err) {
          reject(err);
        }
        return;
      }
      if (xhr.status >= 400) {
        reject(new ApiError(String(body.message ?? `refused (${xhr.status})`), String(body.code ?? "HTTP"), (body.field as string) ?? null));
        return;
      }
      resolve(body);
    };
    xhr.send(file);
  });
}
