import type { RuntimeRequest } from '../runtime/backend-choice';
import type { EngineState } from './useEngine';

const PHASE_TEXT: Record<EngineState['phase'], string> = {
  starting: 'Starting engine…',
  testing: 'Running pipeline check…',
  ready: 'Ready',
  error: 'Error',
};

const BUILD_TEXT = { native: 'webgpu build', jsep: 'JSEP build', wasm: 'WASM build' } as const;
const BUILD_TITLE = {
  native: 'onnxruntime-web/webgpu: native WebGPU EP',
  jsep: 'onnxruntime-web: JS kernels (JSEP)',
  wasm: 'onnxruntime-web/wasm: the CPU build, without WebGPU',
} as const;

function switchHref(backend: string): string {
  const params = new URLSearchParams(window.location.search);
  params.set('backend', backend);
  return `?${params.toString()}`;
}

/** The bar along the bottom: engine state, backend, adapter, threads, onnxruntime build. */
export function StatusBar({ state, request }: { state: EngineState; request: RuntimeRequest }) {
  const info = state.phase === 'starting' ? undefined : state.info;
  // `keep`: short and telling, never cut; the others give way on a narrow window.
  const items: { key: string; text: string; title?: string; warn?: boolean; keep?: boolean }[] = [];
  if (info) {
    items.push({
      key: 'backend',
      text: info.backend === 'webgpu' ? 'WebGPU' : 'WASM',
      title: `requested: ${info.requested}`,
      keep: true,
    });
    if (info.backend === 'webgpu' && info.adapter)
      items.push({ key: 'adapter', text: info.adapter });
    if (info.backend === 'wasm') {
      items.push({
        key: 'threads',
        text: `${info.threads ?? 1} thread${info.threads === 1 ? '' : 's'}`,
        keep: true,
      });
    }
    items.push({
      key: 'isolation',
      text: info.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated',
      warn: !info.crossOriginIsolated,
    });
    items.push({
      key: 'ort',
      text: `onnxruntime-web ${info.ortVersion}, ${BUILD_TEXT[info.build]}`,
      title: BUILD_TITLE[info.build],
    });
    if (info.fallbackReason) items.push({ key: 'fallback', text: info.fallbackReason, warn: true });
  }
  for (const [i, w] of request.warnings.entries())
    items.push({ key: `w${i}`, text: w, warn: true });

  return (
    <footer
      className="status-bar"
      data-testid="status-bar"
      data-phase={state.phase}
      data-backend={info?.backend ?? ''}
      data-threads={info?.threads ?? ''}
      data-adapter={info?.adapter ?? ''}
      data-fallback-adapter={
        info?.fallbackAdapter === undefined ? '' : String(info.fallbackAdapter)
      }
      data-isolated={info ? String(info.crossOriginIsolated) : ''}
      role="status"
    >
      <span className={`status-phase status-${state.phase}`} data-testid="status-phase">
        <span className="status-dot" aria-hidden="true" />
        {PHASE_TEXT[state.phase]}
      </span>
      {items.map((item) => (
        <span
          key={item.key}
          className={`status-item${item.warn ? ' status-warn' : ''}${item.keep ? ' status-keep' : ''}`}
          data-testid={`status-${item.key}`}
          title={item.title ? `${item.text} (${item.title})` : item.text}
        >
          {item.text}
        </span>
      ))}
      <nav className="status-switch" aria-label="Backend">
        {(['auto', 'webgpu', 'wasm'] as const).map((b) => (
          <a key={b} href={switchHref(b)} aria-current={request.backend === b ? 'page' : undefined}>
            {b === 'auto' ? 'auto' : b === 'webgpu' ? 'WebGPU' : 'WASM'}
          </a>
        ))}
      </nav>
    </footer>
  );
}
