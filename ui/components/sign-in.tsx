import { useState } from "preact/hooks";
import { ApiError, createApiClient } from "../api-client.ts";
import { signIn } from "../state.ts";

/** The API token, checked against the API, kept for this browser session only. */
export function SignIn() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const t = String(new FormData(form).get("token") ?? "").trim();
    if (t === "") return setError("Enter an API token.");
    setBusy(true);
    try {
      await createApiClient(t).list(new URLSearchParams({ limit: "1" }));
      signIn(t);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That token is not accepted."
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p>
        Use an API token of an <strong>operator</strong> or <strong>auditor</strong>. It is kept in this
        browser tab only and forgotten when the session ends.
      </p>
      <form method="post" onSubmit={submit}>
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autocomplete="off" required spellcheck={false} />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
