import { useMemo } from 'react';
import { parseRuntimeRequest } from '../runtime/backend-choice';
import { ProofPanel } from './ProofPanel';
import { StatusBar } from './StatusBar';
import { useEngine } from './useEngine';

export function App() {
  const request = useMemo(() => parseRuntimeRequest(window.location.search), []);
  const state = useEngine(request);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Knowledge Neuron Explorer</h1>
        <p className="tagline">
          Where do multilingual language models store facts? Find the feed-forward neurons behind a
          fact with AMIG, in your browser.
        </p>
      </header>
      <main className="app-main">
        <ProofPanel state={state} />
        <section className="panel panel-muted" aria-labelledby="next-heading">
          <h2 id="next-heading">Coming next</h2>
          <p>
            Models (BERT/mBERT, XLM-R, GPT-2/mGPT), fact sets, AMIG attribution and the knowledge
            neuron views are not in this build yet. This page proves the pipeline they will run on:
            a graph built in the browser, run by onnxruntime-web in a worker, checked against plain
            JavaScript.
          </p>
        </section>
      </main>
      <StatusBar state={state} request={request} />
    </div>
  );
}
