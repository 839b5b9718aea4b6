import { useState } from "preact/hooks";
import { signIn, signOutReason } from "../session";

export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState("");
  const reason = signOutReason();
  return (
    <main class="signin" id="main">
      <h1>Port and trade hub</h1>
      <p>Sign in with your organisation's API key. It stays in this browser tab and is forgotten when you close it.</p>
      {reason ? (
        <p class="error" role="alert">
          {reason}
        </p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!key.trim()) return;
          signIn(key);
          onSignedIn();
        }}
      >
        <label class="field">
          <span>API key</span>
          <input
            type="password"
            name="apiKey"
            autoComplete="off"
            placeholder="hub_…"
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        Developers: the GraphQL API and its documentation are at <a href="/graphql">/graphql</a>.
      </p>
    </main>
  );
}
