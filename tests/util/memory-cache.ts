/** The Cache Storage calls UrlSource makes, in memory. */
export class MemoryCache {
  readonly entries = new Map<string, { body: Uint8Array<ArrayBuffer>; headers: Headers }>();

  async match(request: RequestInfo | URL): Promise<Response | undefined> {
    const entry = this.entries.get(request instanceof Request ? request.url : String(request));
    return entry && new Response(entry.body.slice(), { headers: entry.headers });
  }

  async put(request: RequestInfo | URL, response: Response): Promise<void> {
    const body = new Uint8Array(await response.arrayBuffer());
    this.entries.set(String(request), { body, headers: response.headers });
  }

  async keys(): Promise<Request[]> {
    return [...this.entries.keys()].map((url) => new Request(url));
  }

  async delete(request: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(request instanceof Request ? request.url : String(request));
  }

  asCache(): Cache {
    return this as unknown as Cache;
  }
}
