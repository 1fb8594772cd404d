// The TypeScript type-check of the whole repository (root tsconfig.json), shared by
// `npm run lint` and `npm test`. It needs the generated ABIs (scripts/compile.ts) first.
import { join } from "node:path";
import { root, runCapture } from "./proc.ts";

export interface TypecheckResult {
  code: number;
  output: string;
  /** Diagnostics reported as errors (0 when tsc itself failed to run). */
  errorCount: number;
}

export async function typecheck(opts: { echo?: boolean } = {}): Promise<TypecheckResult> {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  // --pretty false: one line per diagnostic, so they can be counted.
  const { code, output } = await runCapture(process.execPath, [tsc, "-p", join(root, "tsconfig.json"), "--pretty", "false"], opts);
  const errorCount = output.match(/error TS\d+:/g)?.length ?? 0;
  return { code, output, errorCount };
}
