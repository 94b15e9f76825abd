import { useState } from "preact/hooks";
import { UUID } from "../format.ts";
import { navigate } from "../state.ts";

/** Find a request by the correlation id a caller kept: a plain GET form to /requests/<id>. */
export function LookupBox() {
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const input = (e.currentTarget as HTMLFormElement).elements.namedItem("id") as HTMLInputElement;
    const id = input.value.trim();
    if (!UUID.test(id)) {
      setError("A correlation id looks like 0b9f7c1e-6a53-4b5e-9a39-2f8d9f3c1a11.");
      return;
    }
    setError(null);
    input.value = "";
    navigate(`/requests/${id.toLowerCase()}`);
  };
  return (
    <search class="lookup" aria-label="Look up a request">
      <form class="lookup" action="/requests" onSubmit={submit}>
        <label for="lookup-id">Correlation id</label>
        <input
          id="lookup-id"
          name="id"
          type="text"
          placeholder="correlation id"
          spellcheck={false}
          autocomplete="off"
        />
        <button type="submit">Look up</button>
        {error && (
          <p class="error lookup-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </search>
  );
}
