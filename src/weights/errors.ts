/**
 * Errors for model files that are missing, damaged or unsupported. Every message names the file,
 * the problem and the fix, so the UI can show it as is. Each class names itself with a string
 * literal: class identity does not survive the worker boundary (comlink copies name and message
 * only), and the class's own name does not survive minification.
 */
export class ModelLoadError extends Error {
  override name: string = 'ModelLoadError';
  /** The file the problem is about, when there is one. */
  readonly file: string | undefined;

  constructor(message: string, file?: string) {
    super(message);
    this.file = file;
  }
}

/** A safetensors file whose header or data is invalid, truncated or of an unsupported dtype. */
export class SafetensorsError extends ModelLoadError {
  override name = 'SafetensorsError';
}

/** A checkpoint that is missing, not in safetensors format, or whose shard index is wrong. */
export class CheckpointError extends ModelLoadError {
  override name = 'CheckpointError';
}

/** A config.json whose values are missing or invalid. */
export class ConfigError extends ModelLoadError {
  override name = 'ConfigError';
}

/** A model whose architecture, activation or option the engine does not implement. */
export class UnsupportedModelError extends ModelLoadError {
  override name = 'UnsupportedModelError';
}

/** A tokenizer.json / tokenizer_config.json that cannot be used. */
export class TokenizerError extends ModelLoadError {
  override name = 'TokenizerError';
}

/** A file that cannot be fetched or found: HTTP errors, offline, gated models, missing files. */
export class ModelSourceError extends ModelLoadError {
  override name = 'ModelSourceError';
  /** HTTP status when the error came from a response. */
  readonly status: number | undefined;

  constructor(message: string, file?: string, status?: number) {
    super(message, file);
    this.status = status;
  }
}
