/**
 * The folder layout is the architecture (docs/design.md): every module under src/ and workers/
 * imports only from the folders below its own, and no chain of imports comes back to where it
 * started. Test files are left out: they may reach any layer (a graph test needs a runtime).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** The engine's floors, bottom first: each may import the ones before it. */
const FLOORS = [
  'weights',
  'graph',
  'arch',
  'runtime',
  'model',
  'attribution',
  'analysis',
  'worker-api',
];

/** Folders any layer may use: small pure helpers, and the fact data (which may use util). */
const SHARED: Record<string, string[]> = { util: [], facts: ['util'] };

/** What each part of the program may import besides its own folder. */
function allowedImports(part: string): string[] | undefined {
  const base = ['util', 'facts'];
  if (part in SHARED) return SHARED[part];
  const floor = FLOORS.indexOf(part);
  if (floor >= 0) return [...base, ...FLOORS.slice(0, floor)];
  // The worker host and the UI sit on the worker API; the UI's two folders share one floor.
  if (part === 'workers') return [...base, ...FLOORS];
  // The command line sits on top like the worker host, and writes the views' own CSV exports.
  if (part === 'cli') return [...base, ...FLOORS, 'views'];
  if (part === 'views' || part === 'app') return [...base, ...FLOORS, 'views', 'app'];
  if (part === 'main') return [...base, ...FLOORS, 'views', 'app'];
  return undefined;
}

/**
 * The one loop the type checker needs: a Tensor's chain methods are ops (graph.ts imports
 * ops.ts), and ops take and return Tensors (ops.ts imports graph.ts's types, erased at build
 * time). No import that runs closes it.
 */
const TYPE_LOOPS = [['src/graph/graph.ts', 'src/graph/ops.ts']];

interface Import {
  from: string;
  to: string;
  /** `import type` / `export type` (or only `type` names): erased when the code is built. */
  typeOnly: boolean;
}

/** The folder a file belongs to: src/<folder>/..., workers/..., or src/main.tsx. */
function partOf(file: string): string {
  const [top, second] = file.split('/');
  if (top === 'workers') return 'workers';
  return file.split('/').length === 2 ? 'main' : second;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string, files: Set<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined; // a package
  const base = relative(ROOT, resolve(ROOT, dirname(from), specifier));
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`, base].find((f) =>
    files.has(f),
  );
}

/** The relative imports of `code` (static imports and re-exports, and dynamic imports). */
function importsOf(from: string, code: string, files: Set<string>): Import[] {
  const source = ts.createSourceFile(from, code, ts.ScriptTarget.Latest, true);
  const out: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const to = resolveImport(from, specifier, files);
    if (to) out.push({ from, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypeNames =
        !!clause &&
        !clause.name &&
        !!bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, !!clause?.isTypeOnly || onlyTypeNames);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause;
      const onlyTypeNames =
        !!clause &&
        ts.isNamedExports(clause) &&
        clause.elements.length > 0 &&
        clause.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, node.isTypeOnly || onlyTypeNames);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Imports that go up the layer order, as "from -> to" lines. */
function layerViolations(imports: readonly Import[]): string[] {
  return imports.flatMap(({ from, to }) => {
    const [a, b] = [partOf(from), partOf(to)];
    if (a === b) return [];
    const allowed = allowedImports(a);
    if (!allowed) return [`${from}: folder ${a} has no place in the layer order`];
    return allowed.includes(b) ? [] : [`${from} -> ${to} (${a} may not import ${b})`];
  });
}

/** Every loop of imports, each as the files around it ("a -> b -> a"). */
function importLoops(imports: readonly Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of imports) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's strongly connected components: a loop is a component of two or more files, or a
  // file that imports itself.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const loops: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)?.includes(v)) loops.push(component.sort());
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return loops;
}

function programImports(): Import[] {
  const files = [...sourceFiles('src'), ...sourceFiles('workers')];
  const known = new Set(files);
  return files.flatMap((f) => importsOf(f, readFileSync(join(ROOT, f), 'utf8'), known));
}

describe('architecture', () => {
  const imports = programImports();

  it('reads the whole program', () => {
    const parts = new Set(imports.map((i) => partOf(i.from)));
    for (const part of [...FLOORS, 'workers', 'cli', 'views', 'app', 'main'])
      expect(parts).toContain(part);
  });

  it('imports only downwards in the layer order', () => {
    expect(layerViolations(imports)).toEqual([]);
  });

  it('has no loop of imports that run, and no other loop than Tensor <-> ops', () => {
    expect(importLoops(imports.filter((i) => !i.typeOnly))).toEqual([]);
    expect(importLoops(imports)).toEqual(TYPE_LOOPS);
  });

  it('catches a loop and an upward import in planted code', () => {
    const files = new Set(['src/model/a.ts', 'src/model/b.ts', 'src/model/c.ts', 'src/arch/x.ts']);
    const planted = [
      ...importsOf('src/model/a.ts', "import { b } from './b';", files),
      ...importsOf('src/model/b.ts', "export { c } from './c';", files),
      ...importsOf('src/model/c.ts', "const a = await import('./a');", files),
      ...importsOf('src/arch/x.ts', "import type { A } from '../model/a';", files),
    ];
    expect(planted.map((i) => i.typeOnly)).toEqual([false, false, false, true]);
    expect(importLoops(planted)).toEqual([['src/model/a.ts', 'src/model/b.ts', 'src/model/c.ts']]);
    expect(layerViolations(planted)).toEqual([
      'src/arch/x.ts -> src/model/a.ts (arch may not import model)',
    ]);
  });
});
