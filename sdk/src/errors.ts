// One error base for the whole project (model: viem's BaseError). Every failure a user or a
// program can act on is a KrakenError: `code` is stable (programs, tests and UIs switch on it;
// kebab-case, or the contract's custom-error name when a transaction reverted) and `message`
// says in words what happened and what to do. Subclasses add what their callers need (an exit
// code, an HTTP status, the relays that failed) but never give `code` another meaning.
export class KrakenError<Code extends string = string> extends Error {
  override name = "KrakenError";

  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Whether `err` is a KrakenError (of `code`, when given). */
export function isKrakenError(err: unknown, code?: string): err is KrakenError {
  return err instanceof KrakenError && (code === undefined || err.code === code);
}
