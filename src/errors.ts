/**
 * Typed errors. Every error the library throws is a `BitnetError` with a stable `code`, and its message names
 * the thing that failed (file and byte offset, config key, tensor, op, backend). Library code never prints and
 * never exits; the CLI maps these to exit codes.
 */

export type BitnetErrorCode =
  | 'FORMAT'
  | 'CONFIG'
  | 'SHAPE'
  | 'UNSUPPORTED_OP'
  | 'BACKEND_UNAVAILABLE'
  | 'CONTEXT_LENGTH'
  | 'TOKENIZER'
  | 'INVALID_OPTION'
  | 'DEVICE'
  | 'ABORTED';

export class BitnetError extends Error {
  readonly code: BitnetErrorCode;
  constructor(code: BitnetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A file is not what its format says it must be: names the file, and the byte offset or tensor when known. */
export class FormatError extends BitnetError {
  readonly file: string;
  readonly offset: number | undefined;
  readonly field: string | undefined;
  constructor(file: string, detail: string, where: { offset?: number; field?: string } = {}, options?: { cause?: unknown }) {
    const at = [
      where.field !== undefined ? `field '${where.field}'` : undefined,
      where.offset !== undefined ? `byte offset ${where.offset}` : undefined,
    ].filter((s) => s !== undefined);
    super('FORMAT', `${file}: ${detail}${at.length > 0 ? ` (${at.join(', ')})` : ''}`, options);
    this.file = file;
    this.offset = where.offset;
    this.field = where.field;
  }
}

/** A model configuration is missing a key, has a value of the wrong type, or describes an unsupported model. */
export class ConfigError extends BitnetError {
  readonly key: string;
  readonly source: string;
  constructor(key: string, source: string, detail: string) {
    super('CONFIG', `${source}: '${key}' ${detail}`);
    this.key = key;
    this.source = source;
  }
}

/** A tensor has a shape or dtype other than the one an op or the model requires. */
export class ShapeError extends BitnetError {
  readonly op: string;
  constructor(op: string, expected: string, got: string) {
    super('SHAPE', `${op}: expected ${expected}, got ${got}`);
    this.op = op;
  }
}

/** A backend cannot run an op (for a dtype or reason it states); never silently routed elsewhere. */
export class UnsupportedOpError extends BitnetError {
  readonly backend: string;
  readonly op: string;
  constructor(backend: string, op: string, reason: string) {
    super('UNSUPPORTED_OP', `backend '${backend}' does not support op '${op}': ${reason}`);
    this.backend = backend;
    this.op = op;
  }
}

/**
 * A device the backend runs on reported an error (a GPU validation error, an out-of-memory, a lost device): the
 * results computed since are not trustworthy, so the read that notices it throws instead of returning them.
 */
export class DeviceError extends BitnetError {
  readonly backend: string;
  constructor(backend: string, message: string) {
    super('DEVICE', `backend '${backend}': the device reported an error: ${message}`);
    this.backend = backend;
  }
}

/** The backend the user asked for does not exist or cannot run on this machine. */
export class BackendUnavailableError extends BitnetError {
  readonly backend: string;
  /** Why, in a sentence ("unknown backend …", "no CUDA device"). */
  readonly reason: string;
  constructor(backend: string, reason: string) {
    super('BACKEND_UNAVAILABLE', `backend '${backend}' is not available: ${reason}`);
    this.backend = backend;
    this.reason = reason;
  }
}

/** A prompt (or prompt plus generated tokens) does not fit the model's context; we never truncate silently. */
export class ContextLengthError extends BitnetError {
  readonly tokens: number;
  readonly contextLength: number;
  constructor(tokens: number, contextLength: number, what = 'prompt') {
    super('CONTEXT_LENGTH', `${what} has ${tokens} tokens but the context holds ${contextLength}`);
    this.tokens = tokens;
    this.contextLength = contextLength;
  }
}

/** The tokenizer is missing or cannot be loaded. */
export class TokenizerError extends BitnetError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('TOKENIZER', detail, options);
  }
}

/**
 * A chat template could not be rendered: its Jinja does not parse ('syntax'), it called `raise_exception` ('raised',
 * e.g. roles that do not alternate), or it failed while rendering ('render'). Code TOKENIZER, like its parent.
 */
export class ChatTemplateError extends TokenizerError {
  readonly reason: 'syntax' | 'raised' | 'render';
  constructor(reason: 'syntax' | 'raised' | 'render', detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.reason = reason;
  }
}

/** A caller passed an option outside its domain (negative temperature, top-p above 1, …). */
export class InvalidOptionError extends BitnetError {
  readonly option: string;
  constructor(option: string, detail: string) {
    super('INVALID_OPTION', `option '${option}' ${detail}`);
    this.option = option;
  }
}

/** Work stopped because its AbortSignal fired. */
export class AbortError extends BitnetError {
  constructor(reason?: unknown) {
    super('ABORTED', 'generation aborted', { cause: reason });
  }
}
