/**
 * A results folder of the `kne` command line (docs/cluster.md, "Output"), opened in the browser:
 * picked with the folder picker or dropped on the Dataset tab, read here (its files never leave
 * the computer) with the same format code as kne (src/analysis/results.ts), and shown by the
 * Dataset tab's views without computing anything.
 */
import {
  MANIFEST_FILE,
  RECORDS_FILE,
  type ResultsManifest,
  ResultsError,
  datasetRunOf,
  parseManifest,
  readRecordLines,
} from '../analysis/results';
import type { DatasetRun } from '../analysis/services';

/** The analysis folder `kne analyze` writes (a results folder's analyses, not its records). */
const ANALYSIS_FILE = 'kne-analysis.json';

/** One file of a picked or dropped folder: its path inside what was picked, and its text. */
export interface FolderFile {
  path: string;
  text(): Promise<string>;
}

export interface OpenedResults {
  /** The folder's name, as picked. */
  name: string;
  manifest: ResultsManifest;
  run: DatasetRun;
}

const baseName = (path: string) => path.split('/').pop() ?? path;
const folderOf = (path: string) => path.split('/').slice(0, -1).join('/');

/** Reads a results folder from its files; a ResultsError says what is wrong and what to pick. */
export async function openResultsFolder(files: readonly FolderFile[]): Promise<OpenedResults> {
  const manifests = files.filter((f) => baseName(f.path) === MANIFEST_FILE);
  if (manifests.length === 0)
    throw new ResultsError(
      files.some((f) => baseName(f.path) === ANALYSIS_FILE)
        ? `this is an analysis folder of kne analyze; open the results folder it analysed ` +
            '(the --in of kne analyze, e.g. merged) instead'
        : `this is not a kne results folder: it has no ${MANIFEST_FILE} (pick the --out folder ` +
            'of kne attribute or kne merge)',
    );
  // A folder that holds several (shards/0, shards/1, ...): the shallowest, if it is alone.
  const depth = (f: FolderFile) => f.path.split('/').length;
  const top = Math.min(...manifests.map(depth));
  const chosen = manifests.filter((f) => depth(f) === top);
  if (chosen.length > 1)
    throw new ResultsError(
      `the folder holds ${chosen.length} results folders (${chosen
        .map((f) => folderOf(f.path))
        .join(', ')}): merge them with kne merge, or pick one`,
    );
  const manifestFile = chosen[0];
  const dir = folderOf(manifestFile.path);
  const manifest = parseManifest(await manifestFile.text(), manifestFile.path);
  const name = dir || 'the results folder';
  if (!manifest.complete)
    throw new ResultsError(
      `${name} is not complete: its kne attribute run was stopped or is still under way ` +
        `(shard ${manifest.shard.index}/${manifest.shard.count}); run the same command again ` +
        'to finish it, then open it',
    );
  const recordsPath = dir ? `${dir}/${RECORDS_FILE}` : RECORDS_FILE;
  const recordsFile = files.find((f) => f.path === recordsPath);
  if (!recordsFile) throw new ResultsError(`${name} has no ${RECORDS_FILE}: it is incomplete`);
  const { items, damaged } = readRecordLines(await recordsFile.text());
  if (damaged.length)
    throw new ResultsError(
      `${recordsPath} has damaged line${damaged.length === 1 ? '' : 's'} ` +
        `${damaged
          .slice(0, 5)
          .map((d) => `${d.line} (${d.problem})`)
          .join(', ')}${damaged.length > 5 ? ', ...' : ''}: run the same kne attribute ` +
        'command into the folder to redo them',
    );
  return { name, manifest, run: datasetRunOf(manifest, items) };
}

/** The files of a folder picked with <input webkitdirectory>. */
export function filesOfPicker(list: FileList): FolderFile[] {
  return Array.from(list, (file) => ({
    path: file.webkitRelativePath || file.name,
    text: () => file.text(),
  }));
}

/** The files dropped: folders (read with the entries API, recursively) and single files. */
export async function filesOfDrop(data: DataTransfer): Promise<FolderFile[]> {
  const items = Array.from(data.items).filter((item) => item.kind === 'file');
  // Entries and files must be taken before the first await: the list empties after the event.
  const taken = items.map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  const out: FolderFile[] = [];
  for (const { entry, file } of taken) {
    if (entry) await collect(entry, '', out);
    // No entry (files put in the drop by a page, not the file manager): the file alone.
    else if (file) out.push({ path: file.name, text: () => file.text() });
  }
  return out;
}

async function collect(entry: FileSystemEntry, parent: string, out: FolderFile[]): Promise<void> {
  const path = parent ? `${parent}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push({ path, text: () => file.text() });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries gives the entries in batches until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) break;
    for (const child of batch) await collect(child, path, out);
  }
}
