// Where the holder's credential lives in the browser: only when they ask for it, in this
// browser's localStorage, keyed by their address. Never sent anywhere but to the service they
// log in to (inside a signed presentation).
import type { HeldCredential } from "@kraken/sdk/ssi";

const key = (address: string) => `kraken.credential.${address.toLowerCase()}`;

export function savedCredential(address: string): HeldCredential | undefined {
  try {
    const text = localStorage.getItem(key(address));
    return text ? (JSON.parse(text) as HeldCredential) : undefined;
  } catch {
    return undefined;
  }
}

export function saveCredential(address: string, held: HeldCredential): void {
  localStorage.setItem(key(address), JSON.stringify(held));
}

export function forgetCredential(address: string): void {
  localStorage.removeItem(key(address));
}

/** Offers the credential as a JSON file the holder keeps. */
export function downloadJson(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
