import { useMemo } from "preact/hooks";
import { createApiClient } from "../api-client.ts";
import { route, signOut, token } from "../state.ts";
import { LookupBox } from "./lookup-box.tsx";
import { Overview } from "./overview.tsx";
import { RequestPage } from "./request-page.tsx";
import { SignIn } from "./sign-in.tsx";

export function App() {
  const t = token.value;
  const api = useMemo(() => (t ? createApiClient(t) : null), [t]);
  const r = route.value;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          CSecBridge <span>operations</span>
        </a>
        {api && <LookupBox />}
        {api && (
          <button type="button" class="quiet" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main">
        {!api ? (
          <SignIn />
        ) : r.name === "request" ? (
          <RequestPage api={api} id={r.id} />
        ) : (
          <Overview api={api} />
        )}
      </main>
    </>
  );
}
