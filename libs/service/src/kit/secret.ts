// A setting that must never be printed (a password, a private key): the configuration object
// carries it as a Secret, so logging or serialising the configuration shows `[redacted]`.
import { inspect } from 'util';

export const REDACTED = '[redacted]';

export class Secret {
  // a private field: not a property, so no JSON.stringify, spread, Object.keys or util.inspect sees it
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value itself, for the one client that needs it (and nothing that prints). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
