/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, so that downloads are tested without the
 * network. It answers like the Hub's resolve endpoint: `HEAD|GET /<repo>/resolve/<revision>/<file>`
 * with X-Repo-Commit, and for regular files ETag (a git blob id) and Content-Length; LFS files
 * (safetensors) answer 302 to a second server (the storage, another origin, as the Hub's CDN is)
 * with X-Linked-Etag (the SHA-256) and X-Linked-Size, and the storage honours Range requests.
 * Missing files, repositories and revisions get the Hub's 404s and X-Error-Code headers; a
 * repository listed in `gated` answers 403 without the right token.
 */
import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  /** Revision names (branches, tags) to commits; every commit is also its own revision. */
  refs: Record<string, string>;
  /** Files of each commit. */
  commits: Record<string, Record<string, Uint8Array>>;
  /** Answer 403 (GatedRepo) unless this token is sent. */
  token?: string;
}

export interface HubRequest {
  server: 'hub' | 'storage';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export interface FakeHub {
  /** The Hub's address (HF_ENDPOINT). */
  endpoint: string;
  requests: HubRequest[];
  /**
   * Makes the next storage download of a file stop sending after `bytes` bytes and hold the
   * connection open (as a stalled or killed download leaves it); resolves `reached` once they
   * are sent.
   */
  stallAfter(bytes: number): { reached: Promise<void> };
  close(): Promise<void>;
}

const isLfs = (name: string) => name.endsWith('.safetensors');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gitBlobId = (b: Uint8Array) =>
  createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

export async function startFakeHub(repos: Record<string, FakeRepo>): Promise<FakeHub> {
  const requests: HubRequest[] = [];
  const blobs = new Map<string, Uint8Array>();
  const open = new Set<ServerResponse>();
  let stall: { bytes: number; reached: () => void } | undefined;

  const record = (server: HubRequest['server'], req: IncomingMessage) =>
    requests.push({
      server,
      method: req.method!,
      path: decodeURIComponent(req.url!),
      range: req.headers.range,
      authorization: req.headers.authorization,
    });

  const storage = createServer((req, res) => {
    record('storage', req);
    const body = blobs.get(req.url!.slice('/blobs/'.length));
    if (!body) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'Content-Length': part.length,
      ...(range ? { 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const s = stall;
    if (s && s.bytes < part.length) {
      stall = undefined;
      open.add(res);
      res.write(part.subarray(0, s.bytes), () => s.reached());
      return;
    }
    res.end(part);
  });
  const storagePort = await listen(storage);

  const hub = createServer((req, res) => {
    record('hub', req);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url!);
    const fail = (status: number, code: string) =>
      res.writeHead(status, { 'X-Error-Code': code }).end();
    if (!match) return fail(404, 'RepoNotFound');
    const [, repoId, revisionText, fileText] = match;
    const repo = repos[repoId];
    if (!repo) return fail(401, 'RepoNotFound');
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`)
      return fail(403, 'GatedRepo');
    const revision = decodeURIComponent(revisionText);
    const commit = repo.refs[revision] ?? (repo.commits[revision] ? revision : undefined);
    if (!commit) return fail(404, 'RevisionNotFound');
    const name = decodeURIComponent(fileText);
    const body = repo.commits[commit][name];
    if (!body) return fail(404, 'EntryNotFound');
    if (isLfs(name)) {
      const etag = sha256(body);
      blobs.set(etag, body);
      res.writeHead(302, {
        Location: `http://127.0.0.1:${storagePort}/blobs/${etag}`,
        'X-Repo-Commit': commit,
        'X-Linked-Etag': `"${etag}"`,
        'X-Linked-Size': String(body.length),
        ETag: `"${gitBlobId(new TextEncoder().encode(etag))}"`,
      });
      return void res.end();
    }
    res.writeHead(200, {
      'X-Repo-Commit': commit,
      ETag: `"${gitBlobId(body)}"`,
      'Content-Length': body.length,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const hubPort = await listen(hub);

  return {
    endpoint: `http://127.0.0.1:${hubPort}`,
    requests,
    stallAfter(bytes) {
      let reached!: () => void;
      const promise = new Promise<void>((r) => (reached = r));
      stall = { bytes, reached };
      return { reached: promise };
    },
    async close() {
      for (const res of open) res.destroy();
      await Promise.all(
        [hub, storage].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
