// solhint over the contracts (rules in .solhint.json), shared by `npm run lint` and `npm test`.
import { join } from "node:path";
import { root, runCapture } from "./proc.ts";

/** Exit code 0 when solhint reports no errors (warnings are printed but pass). */
export async function solhint(opts: { echo?: boolean } = {}): Promise<{ code: number; output: string }> {
  return runCapture(process.execPath, [join(root, "node_modules", "solhint", "solhint.js"), "contracts/src/**/*.sol"], opts);
}
