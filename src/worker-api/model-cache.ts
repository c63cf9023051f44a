/**
 * Cache Storage for downloaded models, with the reason a download failed kept. When the body
 * given to Cache.put() errors (a download cut short, which UrlSource detects and reports with
 * the bytes that arrived), the browser rejects put() with a bare "network error" and the reason
 * is lost. This wrapper watches the body on its way into the cache and rethrows the body's own
 * error, so the user reads why. Everything else goes to the real cache unchanged.
 */
export function keepBodyErrors(cache: Cache): Cache {
  return new Proxy(cache, {
    get(target, name) {
      if (name !== 'put') {
        const value = Reflect.get(target, name, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (request: RequestInfo | URL, response: Response) => {
        if (!response.body) return target.put(request, response);
        let failure: unknown;
        const reader = response.body.getReader();
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const { done, value } = await reader.read();
              if (done) controller.close();
              else controller.enqueue(value);
            } catch (e) {
              failure = e;
              controller.error(e);
            }
          },
          cancel: (reason) => reader.cancel(reason),
        });
        const copy = new Response(body, { status: response.status, headers: response.headers });
        try {
          await target.put(request, copy);
        } catch (e) {
          throw failure ?? e;
        }
      };
    },
  });
}
