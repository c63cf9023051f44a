/**
 * Hugging Face Hub models in Node (the command line), kept in the cache layout of the Python
 * library huggingface_hub, so a model one of them fetched is found by the other:
 *
 *   $HF_HUB_CACHE, default $HF_HOME/hub, HF_HOME default ~/.cache/huggingface
 *     models--<owner>--<name>/
 *       refs/<revision>            the commit a branch or tag pointed at when last resolved
 *       blobs/<etag>               a file's contents, named by its ETag (the SHA-256 of LFS files)
 *       blobs/<etag>.incomplete    a download under way or cut short: resumed with a Range request
 *       snapshots/<commit>/<file>  a relative symlink to ../../blobs/<etag>
 *       .no_exist/<commit>/<file>  an empty file: the file is known not to exist at that commit
 *
 * Online, the revision is resolved once (X-Repo-Commit of a HEAD request) and every file is then
 * asked for at that commit, so a branch that moves mid-download cannot mix two versions. Offline
 * (`offline`, or HF_HUB_OFFLINE=1), nothing touches the network: the revision is read from refs/
 * and the files from the snapshot, and what is missing is an error that says how to fetch it.
 */
import { createHash } from 'node:crypto';
import { hostname, homedir } from 'node:os';
import {
  mkdir,
  open,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { ModelSourceError } from './errors';
import { checkFileName } from './files';
import { MAIN_REVISION, checkHubId, modelId } from './model-ref';
import { NodeFolderSource } from './node-source';
import type { LoadProgress, ModelFile, ModelSource } from './types';

export type Env = Readonly<Record<string, string | undefined>>;

export interface HubCacheOptions {
  /** The cache folder (default: hubCacheDir(env)). */
  cacheDir?: string;
  /** The Hub's address (default: HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** An access token (default: HF_TOKEN, else the token file `huggingface-cli login` wrote). */
  token?: string;
  /** Never use the network (default: HF_HUB_OFFLINE=1). */
  offline?: boolean;
  /** Bytes downloaded, file by file. */
  onProgress?: (p: LoadProgress) => void;
  env?: Env;
  fetch?: typeof fetch;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

const truthy = (v: string | undefined) =>
  !!v && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());

/** HF_HOME as huggingface_hub reads it. */
export function hfHome(env: Env = process.env): string {
  return (
    env.HF_HOME || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'huggingface')
  );
}

/** The hub cache folder as huggingface_hub reads it. */
export function hubCacheDir(env: Env = process.env): string {
  return env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(hfHome(env), 'hub');
}

/** The token huggingface_hub would send: HF_TOKEN, else $HF_HOME/token. */
export async function hubToken(env: Env = process.env): Promise<string | undefined> {
  if (env.HF_TOKEN) return env.HF_TOKEN.trim();
  const file = env.HF_TOKEN_PATH || join(hfHome(env), 'token');
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

const COMMIT = /^[0-9a-f]{40}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** An ETag as the cache names blobs: no weak prefix, no quotes. */
const cleanEtag = (etag: string) => etag.replace(/^W\//, '').replace(/^"|"$/g, '');

/** The repository's folder in the cache: models--owner--name. */
export function repoFolder(cacheDir: string, repoId: string): string {
  return join(cacheDir, `models--${repoId.split('/').join('--')}`);
}

/**
 * A download that failed on the way (no network, a cut connection, damaged bytes), as opposed to
 * a model that is missing or refused: running again may succeed.
 */
export class DownloadError extends ModelSourceError {
  override name = 'DownloadError';
}

/** What a HEAD request says about one file at one commit. */
interface FileMeta {
  commit: string;
  etag: string;
  size: number;
  /** Where the bytes are (the CDN for LFS files), or the resolve address. */
  url: string;
}

/**
 * A Hub model read through the cache. `open` first resolves the revision (online: one request;
 * offline: refs/), then files are downloaded into the cache as they are asked for and read from
 * their snapshot links.
 */
export class HubCacheSource implements ModelSource {
  readonly id: string;
  private readonly folder: string;
  private readonly snapshot: NodeFolderSource;
  private readonly ensured = new Map<string, Promise<boolean>>();

  private constructor(
    readonly repoId: string,
    readonly revision: string,
    /** The commit the revision resolved to. */
    readonly commit: string,
    private readonly opts: Required<Pick<HubCacheOptions, 'cacheDir' | 'endpoint' | 'offline'>> &
      HubCacheOptions,
  ) {
    this.id = modelId({ kind: 'hub', id: repoId, revision });
    this.folder = repoFolder(opts.cacheDir, repoId);
    this.snapshot = new NodeFolderSource(join(this.folder, 'snapshots', commit));
  }

  /** Resolves `repoId` at `revision` (main by default) online, or from the cache offline. */
  static async open(
    repoId: string,
    revision = MAIN_REVISION,
    options: HubCacheOptions = {},
  ): Promise<HubCacheSource> {
    checkHubId(repoId);
    const env = options.env ?? process.env;
    const opts = {
      ...options,
      cacheDir: options.cacheDir ?? hubCacheDir(env),
      endpoint: (options.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
      offline: options.offline ?? truthy(env.HF_HUB_OFFLINE),
      token: options.token ?? (await hubToken(env)),
    };
    const folder = repoFolder(opts.cacheDir, repoId);
    const label = modelId({ kind: 'hub', id: repoId, revision });
    let commit: string;
    if (opts.offline) {
      commit = COMMIT.test(revision)
        ? revision
        : await readFile(join(folder, 'refs', revision), 'utf8').then(
            (t) => t.trim(),
            () => {
              throw new ModelSourceError(
                `"${label}" is not in the Hugging Face cache (${opts.cacheDir}) and --offline ` +
                  'forbids downloading it: run once without --offline on a machine that reaches ' +
                  'the Hub, with the same HF_HOME, or point HF_HOME at a cache that has it.',
              );
            },
          );
    } else {
      const source = new HubCacheSource(repoId, revision, revision, opts);
      const meta = await source.head('config.json', revision);
      if (meta === 'missing')
        throw new ModelSourceError(
          `"${label}" has no config.json: it is not a model repository the engine can read.`,
          'config.json',
        );
      commit = meta.commit;
      if (revision !== commit) {
        await mkdir(join(folder, 'refs'), { recursive: true });
        await writeAtomically(join(folder, 'refs', revision), commit);
      }
    }
    return new HubCacheSource(repoId, revision, commit, opts);
  }

  async has(name: string): Promise<boolean> {
    return this.ensure(name);
  }

  async open(name: string): Promise<ModelFile> {
    if (!(await this.ensure(name)))
      throw new ModelSourceError(
        `${name} was not found for model "${this.id}" (commit ${this.commit}); check that the ` +
          'model id is right and that the model has this file.',
        name,
      );
    return this.snapshot.open(name);
  }

  /** The file in the snapshot (downloaded if need be): true, or false when the model lacks it. */
  private ensure(name: string): Promise<boolean> {
    checkFileName(name, `model "${this.id}"`);
    let done = this.ensured.get(name);
    if (!done) {
      done = this.fetchFile(name);
      this.ensured.set(name, done);
      done.catch(() => this.ensured.delete(name));
    }
    return done;
  }

  private async fetchFile(name: string): Promise<boolean> {
    const pointer = join(this.folder, 'snapshots', this.commit, name);
    const absent = join(this.folder, '.no_exist', this.commit, name);
    if (await isFile(pointer)) return true;
    if (await isFile(absent)) return false;
    if (this.opts.offline)
      throw new ModelSourceError(
        `${name} of "${this.id}" (commit ${this.commit}) is not in the Hugging Face cache ` +
          `(${this.opts.cacheDir}) and --offline forbids downloading it: run once without ` +
          '--offline with the same HF_HOME.',
        name,
      );
    const meta = await this.head(name, this.commit);
    if (meta === 'missing') {
      await mkdir(dirname(absent), { recursive: true });
      await writeFile(absent, '');
      return false;
    }
    const blob = join(this.folder, 'blobs', meta.etag);
    if ((await sizeOf(blob)) !== meta.size) await this.download(name, meta, blob);
    await mkdir(dirname(pointer), { recursive: true });
    await link(blob, pointer);
    return true;
  }

  /** Headers of the resolve address, following the Hub's own (relative) redirects. */
  private async head(name: string, revision: string): Promise<FileMeta | 'missing'> {
    let url =
      `${this.opts.endpoint}/${this.repoId}/resolve/${encodeURIComponent(revision)}/` +
      name.split('/').map(encodeURIComponent).join('/');
    for (let hop = 0; hop < 5; hop++) {
      const res = await this.request(name, url, { method: 'HEAD', redirect: 'manual' });
      const location = res.headers.get('location');
      const redirect = res.status >= 300 && res.status < 400 && location;
      const target = redirect ? new URL(location, url) : undefined;
      // A renamed repository answers with a redirect to its new name on the Hub itself.
      if (
        target &&
        target.origin === new URL(this.opts.endpoint).origin &&
        !res.headers.get('x-linked-etag')
      ) {
        url = target.href;
        continue;
      }
      if (
        res.status === 404 &&
        (res.headers.get('x-error-code') ?? 'EntryNotFound') === 'EntryNotFound'
      )
        return 'missing';
      if (!redirect && !res.ok) throw this.httpError(name, res);
      const commit = res.headers.get('x-repo-commit');
      const etag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
      const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
      if (!commit || !COMMIT.test(commit) || !etag || !Number.isSafeInteger(size))
        throw new ModelSourceError(
          `${url} did not answer as the Hugging Face Hub does (X-Repo-Commit, ETag and the size ` +
            `of ${name}); check HF_ENDPOINT (${this.opts.endpoint}).`,
          name,
        );
      return { commit, etag: cleanEtag(etag), size, url: target?.href ?? url };
    }
    throw new ModelSourceError(`${name} of "${this.id}": too many redirects from the Hub.`, name);
  }

  /** Downloads into blobs/<etag>.incomplete, resuming what is there, then renames it. */
  private async download(name: string, meta: FileMeta, blob: string): Promise<void> {
    await mkdir(dirname(blob), { recursive: true });
    const partial = `${blob}.incomplete`;
    const release = await lock(`${blob}.lock`);
    try {
      if ((await sizeOf(blob)) === meta.size) return; // another process finished it meanwhile
      let have = (await sizeOf(partial)) ?? 0;
      if (have > meta.size) {
        await rm(partial);
        have = 0;
      }
      const newHash = () => (SHA256.test(meta.etag) ? createHash('sha256') : undefined);
      let hash = newHash();
      if (hash && have > 0) hash.update(await readFile(partial));
      const report = (loaded: number) =>
        this.opts.onProgress?.({ file: name, loadedBytes: loaded, totalBytes: meta.size });
      if (have < meta.size) {
        const res = await this.request(name, meta.url, {
          headers: have > 0 ? { Range: `bytes=${have}-` } : {},
        });
        if (!res.ok) throw this.httpError(name, res);
        if (have > 0 && res.status !== 206) {
          // The server ignored the range and sends the whole file: start from the first byte.
          have = 0;
          hash = newHash();
        }
        const file = await open(partial, have > 0 ? 'a' : 'w');
        try {
          report(have);
          const reader = res.body!.getReader();
          for (;;) {
            let chunk: ReadableStreamReadResult<Uint8Array>;
            try {
              chunk = await reader.read();
            } catch (e) {
              throw new DownloadError(
                `The connection broke while downloading ${name} of "${this.id}" (${have} of ` +
                  `${meta.size} bytes kept: ${(e as Error).message}); run again to resume it.`,
                name,
              );
            }
            if (chunk.done) break;
            await file.write(chunk.value);
            hash?.update(chunk.value);
            have += chunk.value.length;
            report(have);
          }
          await file.sync();
        } finally {
          await file.close();
        }
      }
      if (have !== meta.size)
        throw new DownloadError(
          `The download of ${name} of "${this.id}" was cut short: ${have} of ${meta.size} bytes ` +
            'arrived; run again to resume it.',
          name,
        );
      if (hash && hash.digest('hex') !== meta.etag) {
        await rm(partial, { force: true });
        throw new DownloadError(
          `${name} of "${this.id}" arrived damaged (its SHA-256 is not the Hub's ${meta.etag}); ` +
            'the partial file was removed: run again to download it afresh.',
          name,
        );
      }
      await rename(partial, blob);
    } finally {
      await release();
    }
  }

  private async request(name: string, url: string, init: RequestInit): Promise<Response> {
    const sameHost = new URL(url).origin === new URL(this.opts.endpoint).origin;
    const headers = new Headers(init.headers);
    // The token goes to the Hub only, never to the storage it redirects to.
    if (sameHost && this.opts.token) headers.set('Authorization', `Bearer ${this.opts.token}`);
    headers.set('Accept-Encoding', 'identity');
    try {
      return await (this.opts.fetch ?? fetch)(url, { ...init, headers });
    } catch (e) {
      throw new DownloadError(
        `Cannot download ${name} of "${this.id}" from ${new URL(url).origin}: ` +
          `${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}. ` +
          'Check the network; a compute node without internet needs the model in the cache ' +
          'beforehand (run once where the Hub is reachable, then use --offline).',
        name,
      );
    }
  }

  private httpError(name: string, res: Response): ModelSourceError {
    const code = res.headers.get('x-error-code');
    const status = res.status;
    let message: string;
    if (code === 'RevisionNotFound')
      message = `The revision "${this.revision}" of "${this.repoId}" does not exist; check the branch, tag or commit.`;
    else if (code === 'GatedRepo' || status === 403)
      message =
        `"${this.repoId}" is a gated or private model (HTTP ${status}); accept its terms on the ` +
        'Hub and pass an access token (HF_TOKEN or --token).';
    else if (code === 'RepoNotFound' || status === 401 || status === 404)
      message =
        `"${this.repoId}" was not found on the Hugging Face Hub (HTTP ${status}), or it is ` +
        'private (then pass an access token with HF_TOKEN or --token); check the model id, ' +
        'e.g. "google-bert/bert-base-multilingual-cased".';
    else
      return new DownloadError(
        `${name} of "${this.id}" could not be downloaded: the Hub answered HTTP ${status} ` +
          `${res.statusText}; try again later.`,
        name,
        status,
      );
    return new ModelSourceError(message, name, status);
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

const isFile = async (path: string) => (await sizeOf(path)) !== undefined;

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/** A relative symlink from the snapshot to the blob, replacing a stale one. */
async function link(blob: string, pointer: string): Promise<void> {
  const target = relative(dirname(pointer), blob);
  try {
    if ((await readlink(pointer)) === target) return;
  } catch {
    // absent
  }
  const temp = `${pointer}.${process.pid}.tmp`;
  await rm(temp, { force: true });
  await symlink(target, temp);
  await rename(temp, pointer);
}

/**
 * An exclusive lock file, so that processes sharing a cache do not append to the same partial
 * download. A lock left by a dead process on this host is taken over; one of another host is
 * waited for while its partial file keeps growing.
 */
async function lock(path: string): Promise<() => Promise<void>> {
  const me = `${hostname()} ${process.pid}`;
  const partial = path.replace(/\.lock$/, '.incomplete');
  let lastSize: number | undefined;
  let still = 0;
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(me);
      await handle.close();
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readFile(path, 'utf8').catch(() => '');
    const [host, pid] = owner.split(' ');
    const size = await sizeOf(partial);
    still = size === lastSize ? still + 1 : 0;
    lastSize = size;
    const dead = host === hostname() && !alive(Number(pid));
    // Two minutes without a byte: the other host's download died with its lock.
    if (dead || still >= 240) await rm(path, { force: true });
    else await new Promise((r) => setTimeout(r, 500));
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
