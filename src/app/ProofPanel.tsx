import type { SelfTestResult } from '../worker-api';
import type { EngineState } from './useEngine';

function Matrix({
  label,
  data,
  rows,
  cols,
}: {
  label: string;
  data: number[];
  rows: number;
  cols: number;
}) {
  return (
    <figure className="matrix">
      <figcaption>
        {label}{' '}
        <span className="dims">
          [{rows}×{cols}]
        </span>
      </figcaption>
      <table>
        <tbody>
          {Array.from({ length: rows }, (_, i) => (
            <tr key={i}>
              {data.slice(i * cols, (i + 1) * cols).map((v, j) => (
                <td key={j}>{v.toFixed(4)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function Result({ proof }: { proof: SelfTestResult }) {
  const { outputs, dims } = proof;
  return (
    <>
      <p
        className={proof.ok ? 'verdict verdict-ok' : 'verdict verdict-bad'}
        data-testid="proof-verdict"
      >
        {proof.ok ? 'Pipeline OK' : 'Pipeline FAILED'} · max abs error{' '}
        {proof.maxAbsError.toExponential(2)} on{' '}
        {proof.info.backend === 'webgpu' ? 'WebGPU' : 'WASM'}
      </p>
      <div className="matrices">
        <Matrix label="x" data={outputs.x} rows={dims.x[0]} cols={dims.x[1]} />
        <Matrix label="W" data={outputs.w} rows={4} cols={3} />
        <Matrix label="y = tanh(xW)" data={outputs.y} rows={dims.y[0]} cols={dims.y[1]} />
        <Matrix label="dx = ∂Σy/∂x" data={outputs.dx} rows={dims.dx[0]} cols={dims.dx[1]} />
        <Matrix label="z = tanh(yV)" data={outputs.z} rows={dims.z[0]} cols={dims.z[1]} />
      </div>
      <ul className="checks" data-testid="proof-checks">
        {proof.checks.map((c) => (
          <li key={c.name} className={c.ok ? 'check-ok' : 'check-bad'}>
            <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span> {c.name}
            {c.name.includes('GPU') ? null : (
              <span className="err"> {c.maxAbsError.toExponential(1)}</span>
            )}
          </li>
        ))}
      </ul>
      <p className="note">
        Tensor locations: y {proof.locations.y}, dx {proof.locations.dx}, V {proof.locations.v}, z{' '}
        {proof.locations.z}. {proof.ms.toFixed(0)} ms.
      </p>
    </>
  );
}

/** The pipeline proof's output: the matrices the worker computed and the checks against JS. */
export function ProofPanel({ state }: { state: EngineState }) {
  const proof = state.phase === 'ready' ? state.proof : undefined;
  return (
    <section
      className="panel"
      aria-labelledby="proof-heading"
      data-testid="proof"
      data-state={state.phase}
      data-ok={proof ? String(proof.ok) : ''}
      data-max-abs-error={proof ? String(proof.maxAbsError) : ''}
      data-locations={proof ? JSON.stringify(proof.locations) : ''}
    >
      <h2 id="proof-heading">Pipeline check</h2>
      <p className="note">
        A graph built here with the project's graph builder, y = tanh(xW) and its gradient by
        reverse-mode differentiation, then z = tanh(yV) in two more sessions that share one uploaded
        V. The worker runs them with onnxruntime-web and compares them with plain JavaScript.
      </p>
      {state.phase === 'error' ? (
        <p className="verdict verdict-bad" data-testid="proof-error">
          {state.error}
        </p>
      ) : proof ? (
        <Result proof={proof} />
      ) : (
        <p className="note">{state.phase === 'starting' ? 'Starting the engine…' : 'Running…'}</p>
      )}
    </section>
  );
}
