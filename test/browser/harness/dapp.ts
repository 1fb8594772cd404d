// Driving the dApp like a user: choose a Demo persona, open routes, wait for what a person
// would wait for. Selectors are roles and labels (the dApp's accessibility contract).
import { expect } from "vitest";
import type { Page } from "playwright-core";

/** Opens `route` (e.g. "/create") and waits for the app shell. */
export async function open(page: Page, dappUrl: string, route: string): Promise<void> {
  await page.goto(`${dappUrl}/#${route}`);
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/** Picks the persona whose name contains `name` in the header's "Demo persona" select and waits until the Demo wallet is connected as it. */
export async function choosePersona(page: Page, name: string, address: string): Promise<void> {
  const select = page.getByLabel("Demo persona");
  await select.waitFor();
  const value = await select.evaluate((el, n) => [...(el as HTMLSelectElement).options].find((o) => o.text.includes(n))?.value, name);
  expect(value, `no Demo persona named ${name}`).toBeTruthy();
  await select.selectOption(value!);
  await expect.poll(() => select.inputValue(), { timeout: 15_000 }).toBe(address);
}

/** Navigates inside the running app (hash change, no reload: the wallet stays connected). */
export async function go(page: Page, route: string): Promise<void> {
  await page.evaluate((r) => (window.location.hash = r), route);
}

/** Text of every role="alert" on the page (for failure messages). */
export async function alerts(page: Page): Promise<string> {
  return (await page.getByRole("alert").allInnerTexts()).join("\n");
}
