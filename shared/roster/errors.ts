/**
 * A roster that cannot be imported as it stands (no manifest, a file the manifest names is missing, a
 * required column is missing, the source cannot be read). The run fails with this message and applies nothing.
 */
export class RosterInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RosterInputError';
  }
}
