import type { ComponentChildren } from "preact";
import { ApiError } from "../api-client.ts";
import { signOut } from "../state.ts";

export function Loading(props: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

/** An error said plainly; a refused token ends the session. */
export function ErrorNotice(props: { error: Error; what: string }) {
  const e = props.error;
  if (e instanceof ApiError && e.status === 401) {
    queueMicrotask(signOut);
    return null;
  }
  const why =
    e instanceof ApiError && e.status === 403
      ? "your token's role may not see this"
      : e instanceof ApiError && e.status === 0
        ? "the server cannot be reached; retrying"
        : e.message;
  return (
    <p class="error" role="alert">
      Could not load {props.what}: {why}
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="empty">{props.children}</div>;
}
