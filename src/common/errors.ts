/** A unique key was taken; stores translate the driver's 23505 into this. */
export class DuplicateError extends Error {
  constructor(what: string, why = 'already exists') {
    super(`${what} ${why}`);
    this.name = 'DuplicateError';
  }
}

/** The database could not be reached or gave up; rendered as 503 temporarily_unavailable. */
export class StorageUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('storage unavailable', { cause });
    this.name = 'StorageUnavailableError';
  }
}

/** Input that breaks a domain rule; the message names the field and is safe to show. */
export class InvalidInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InvalidInputError';
  }
}

/**
 * The client was deleted after it authenticated (a client record may be up to
 * REVOCATION_MAX_STALENESS_MS old on the token endpoint): rendered as invalid_client.
 */
export class UnknownClientError extends Error {
  constructor() {
    super('the client no longer exists');
    this.name = 'UnknownClientError';
  }
}
