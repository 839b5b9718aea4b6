import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, closeSocket, gql } from "./api";
import { ME_QUERY, MeContext, navFor, type Me } from "./me";
import { BillPage, BillsPage } from "./pages/bills";
import { DeclarationPage, DeclarationsPage } from "./pages/customs";
import { DocumentsPage } from "./pages/documents";
import { ExposurePage, FinancePage, ReceivablePage } from "./pages/finance";
import { HomePage } from "./pages/home";
import { IngestPage } from "./pages/ingest";
import { OrderPage, OrdersPage } from "./pages/orders";
import { PortCallPage, PortPage } from "./pages/port";
import { SignInPage } from "./pages/signin";
import { TrackPage } from "./pages/track";
import { VerifyPage } from "./pages/verify";
import { href, match, usePath } from "./router";
import { apiKey, signOut } from "./session";
import "./style.css";

type Page = (params: Record<string, string>) => preact.JSX.Element;

const ROUTES: [string, Page][] = [
  ["/", () => <HomePage />],
  ["/track", () => <TrackPage number="" />],
  ["/track/:number", (p) => <TrackPage number={p.number} />],
  ["/bills", () => <BillsPage />],
  ["/bills/:number", (p) => <BillPage number={p.number} />],
  ["/ingest", () => <IngestPage />],
  ["/documents", () => <DocumentsPage />],
  ["/orders", () => <OrdersPage />],
  ["/orders/:id", (p) => <OrderPage id={p.id} />],
  ["/declarations", () => <DeclarationsPage />],
  ["/declarations/:id", (p) => <DeclarationPage id={p.id} />],
  ["/port", () => <PortPage />],
  ["/port/calls/:id", (p) => <PortCallPage id={p.id} />],
  ["/finance", () => <FinancePage />],
  ["/finance/:id", (p) => <ReceivablePage id={p.id} />],
  ["/exposure", () => <ExposurePage />],
  ["/verify", () => <VerifyPage />],
];

function Routed({ path }: { path: string }) {
  for (const [pattern, page] of ROUTES) {
    const params = match(pattern, path);
    if (params) return page(params);
  }
  return (
    <section class="card">
      <h2>No such page</h2>
      <p>
        <a href={href("/")}>Back to the start</a>
      </p>
    </section>
  );
}

function Shell({ me }: { me: Me }) {
  const path = usePath();
  const nav = navFor(me.organisation.type);
  const section = "/" + (path.split("/")[1] ?? "");
  return (
    <MeContext.Provider value={me}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href("/")}>
          Port and trade hub
        </a>
        <nav aria-label="Pages">
          {nav.map((item) => (
            <a href={href(item.path)} aria-current={section === item.path ? "page" : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <div class="who">
          <span data-testid="who">
            {me.organisation.name} · {me.organisation.type.replace("_", " ").toLowerCase()} · {me.role.toLowerCase()}
          </span>
          <button type="button" onClick={() => (closeSocket(), signOut())}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routed path={path} />
      </main>
    </MeContext.Provider>
  );
}

function App() {
  const [key, setKey] = useState(apiKey());
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const out = () => (setKey(null), setMe(null));
    window.addEventListener("hub:signed-out", out);
    return () => window.removeEventListener("hub:signed-out", out);
  }, []);
  useEffect(() => {
    if (!key) return;
    gql<{ me: Me }>(ME_QUERY)
      .then((d) => setMe(d.me))
      .catch((e: unknown) => {
        // A refused key has already signed the user out with the reason; anything else is shown here.
        if (!(e instanceof ApiError && e.code === "UNAUTHENTICATED")) setError(String((e as Error).message ?? e));
      });
  }, [key]);
  if (!key) return <SignInPage onSignedIn={() => (setError(null), setKey(apiKey()))} />;
  if (error) return <p class="error" role="alert">The hub did not answer: {error}</p>;
  if (!me) return <p class="muted">Signing in…</p>;
  return <Shell me={me} />;
}

render(<App />, document.getElementById("app")!);
