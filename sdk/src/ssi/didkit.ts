// Lazy access to didkit (W3C credentials and presentations, compiled to wasm). Loaded on first
// use only, so a page that never touches credentials never downloads the wasm.
type Didkit = typeof import("@spruceid/didkit-wasm-node");

let loading: Promise<Didkit> | undefined;

export function didkit(): Promise<Didkit> {
  loading ??= import("#didkit") as Promise<Didkit>;
  return loading;
}

/** didkit's verify* results are JSON strings; returns the error list (empty when valid). */
export function verificationErrors(result: unknown): string[] {
  const parsed = typeof result === "string" ? JSON.parse(result) : result;
  return Array.isArray(parsed?.errors) ? parsed.errors.map(String) : ["unreadable verification result"];
}
