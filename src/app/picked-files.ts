/**
 * A model folder from the user's disk: picked with <input type=file webkitdirectory> or
 * dropped. Only the folder's own files are kept (config.json, tokenizer.json, the checkpoint
 * and its shards all sit at the top of a Hugging Face model folder); subfolders such as onnx/
 * are left out, so nothing there is read or sent to the engine.
 */
export interface PickedFolder {
  /** The folder's name, shown to the user and used in the model's id ("local:<label>"). */
  label: string;
  files: File[];
}

/** From an <input webkitdirectory> (paths "folder/file") or a multi-file pick (bare names). */
export function folderFromInput(list: FileList | File[]): PickedFolder {
  const files = Array.from(list);
  const paths = files.map((f) => (f.webkitRelativePath || f.name).split('/'));
  const top = paths[0]?.length > 1 ? paths[0][0] : undefined;
  if (top === undefined) return { label: 'picked files', files };
  return { label: top, files: files.filter((_, i) => paths[i].length === 2) };
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** All entries of a directory: readEntries returns them in batches until an empty one. */
async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/** From a drop: one folder (its top-level files), or loose files. */
export async function folderFromDrop(data: DataTransfer): Promise<PickedFolder> {
  // Entries must be taken synchronously, before the drop event's data goes away.
  const entries = Array.from(data.items)
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  const dir = entries.length === 1 && entries[0].isDirectory ? entries[0] : undefined;
  if (dir) {
    const children = await readAll(dir as FileSystemDirectoryEntry);
    const files = await Promise.all(
      children.filter((e) => e.isFile).map((e) => entryFile(e as FileSystemFileEntry)),
    );
    return { label: dir.name, files };
  }
  return { label: 'dropped files', files: Array.from(data.files) };
}
