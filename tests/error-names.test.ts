/**
 * The UI and the worker boundary tell errors apart by `name` (docs/app.md: `data-error-name`),
 * so each error class must carry its name as a string literal: a minifier renames classes, and
 * `new.target.name` then reads "M" or "Xn". Each class is checked with its JS name replaced,
 * as a minified build has it, and every error class in the sources must be listed here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultsError } from '../src/analysis/results';
import { ShareLinkError } from '../src/app/share';
import { PromptError } from '../src/attribution/prompt';
import { UsageError } from '../src/cli/errors';
import { WriteError } from '../src/cli/folder';
import { ShardError } from '../src/cli/shard';
import { JsonSyntaxError } from '../src/facts/json';
import { TemplateError } from '../src/facts/template';
import {
  CheckpointError,
  ConfigError,
  ModelLoadError,
  ModelSourceError,
  SafetensorsError,
  TokenizerError,
  UnsupportedModelError,
} from '../src/weights/errors';
import { DownloadError } from '../src/weights/hub-cache';
import { EngineError } from '../src/worker-api/errors';
import { PlantedSpecError } from './planted/spec';

type ErrorClass = new (...args: never[]) => Error;

/** Each class, how to make one, and the name it must carry (written out, never computed). */
const EXPECTED: [ErrorClass, () => Error, string][] = [
  [ModelLoadError, () => new ModelLoadError('m'), 'ModelLoadError'],
  [SafetensorsError, () => new SafetensorsError('m'), 'SafetensorsError'],
  [CheckpointError, () => new CheckpointError('m'), 'CheckpointError'],
  [ConfigError, () => new ConfigError('m'), 'ConfigError'],
  [UnsupportedModelError, () => new UnsupportedModelError('m'), 'UnsupportedModelError'],
  [TokenizerError, () => new TokenizerError('m'), 'TokenizerError'],
  [ModelSourceError, () => new ModelSourceError('m', 'f', 404), 'ModelSourceError'],
  [TemplateError, () => new TemplateError('m'), 'TemplateError'],
  [JsonSyntaxError, () => new JsonSyntaxError('m', 0), 'JsonSyntaxError'],
  [PromptError, () => new PromptError('m'), 'PromptError'],
  [ShareLinkError, () => new ShareLinkError('m'), 'ShareLinkError'],
  [EngineError, () => new EngineError('NoModelError', 'm'), 'NoModelError'],
  [PlantedSpecError, () => new PlantedSpecError('m'), 'PlantedSpecError'],
  [ShardError, () => new ShardError('m'), 'ShardError'],
  [ResultsError, () => new ResultsError('m'), 'ResultsError'],
  [UsageError, () => new UsageError('m'), 'UsageError'],
  [WriteError, () => new WriteError('m'), 'WriteError'],
  [DownloadError, () => new DownloadError('m', 'f'), 'DownloadError'],
];

/** Runs `f` while every listed class's JS name is a one-letter minified name. */
function minified<T>(f: () => T): T {
  const saved = EXPECTED.map(([cls]) => Object.getOwnPropertyDescriptor(cls, 'name')!);
  EXPECTED.forEach(([cls], i) =>
    Object.defineProperty(cls, 'name', { value: String.fromCharCode(65 + i) }),
  );
  try {
    return f();
  } finally {
    EXPECTED.forEach(([cls], i) => Object.defineProperty(cls, 'name', saved[i]));
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) ? [path] : [];
  });
}

describe('error names', () => {
  it('are string literals that survive renamed classes', () => {
    const names = minified(() => EXPECTED.map(([, make]) => make().name));
    expect(names).toEqual(EXPECTED.map(([, , name]) => name));
    expect(minified(() => ModelLoadError.name)).not.toBe('ModelLoadError'); // the renaming works
  });

  it('are kept through subclassing, and messages are kept', () => {
    const e = new SafetensorsError('the header is damaged', 'model.safetensors');
    expect(e).toBeInstanceOf(ModelLoadError);
    expect([e.name, e.message, e.file]).toEqual([
      'SafetensorsError',
      'the header is damaged',
      'model.safetensors',
    ]);
  });

  it('cover every error class in the sources', () => {
    const root = join(import.meta.dirname, '..');
    const declared = ['src', 'workers', 'tests']
      .flatMap((d) => sourceFiles(join(root, d)))
      .flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends \w*Error\b/g)].map(
          (m) => m[1],
        ),
      );
    expect(declared.length).toBeGreaterThan(0);
    const listed = new Set(EXPECTED.map(([, , name]) => name));
    // EngineError takes its name as an argument; the others are named after their class.
    expect(declared.filter((d) => d !== 'EngineError' && !listed.has(d))).toEqual([]);
  });
});
