/**
 * deploy/: the Kubernetes manifests parsed and checked for what makes a sharded run right, the
 * Dockerfile and the manifests checked to agree, and the Slurm batch scripts run (outside Slurm,
 * with Slurm's variables set and kne replaced by scripts/slurm/record-invocation.sh) to see the
 * kne commands they issue. scripts/slurm/deploy-check.sh runs the same scripts on a real Slurm.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/options';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** kne's own flags (src/cli/options.ts), by command: a flag outside these is a typo. */
const KNE_FLAGS: Record<string, { valued: string[]; switches: string[] }> = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, command]) => {
    const flags = Object.entries(command.flags);
    return [
      name,
      {
        valued: flags.filter(([, f]) => f.type === 'string').map(([k]) => `--${k}`),
        switches: flags.filter(([, f]) => f.type === 'boolean').map(([k]) => `--${k}`),
      },
    ];
  }),
);

/** The flags of one kne call, checked against KNE_FLAGS; positionals under '_'. */
function kneFlags(args: readonly string[]): Record<string, string | true | string[]> {
  const [command, ...rest] = args;
  const spec = KNE_FLAGS[command];
  expect(spec, `kne ${command}`).toBeDefined();
  const out: Record<string, string | true | string[]> = { _: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (spec.switches.includes(a)) out[a] = true;
    else if (spec.valued.includes(a)) {
      expect(rest[i + 1], `${a} needs a value`).toBeDefined();
      out[a] = rest[++i];
    } else {
      expect(a.startsWith('-'), `kne ${command} has no flag ${a}`).toBe(false);
      (out._ as string[]).push(a);
    }
  }
  return out;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}
interface Container {
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  restartPolicy?: string;
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

const manifests = (path: string) => loadAll(read(path)) as Manifest[];
const claims = manifests('deploy/k8s/kne-volumes.yaml');
const [job] = manifests('deploy/k8s/kne-indexed-job.yaml');
const [merge] = manifests('deploy/k8s/kne-merge-job.yaml');
const [filesPod] = manifests('deploy/k8s/kne-files-pod.yaml');
const podOf = (m: Manifest) =>
  (m.kind === 'Pod' ? m.spec : (m.spec.template as { spec: PodSpec }).spec) as PodSpec;

/** Where each persistent volume claim is mounted in a pod: claim name -> mount path. */
function claimMounts(pod: PodSpec): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of pod.volumes ?? []) {
    const mount = pod.containers[0].volumeMounts?.find((m) => m.name === v.name);
    if (v.persistentVolumeClaim && mount)
      out.set(v.persistentVolumeClaim.claimName, mount.mountPath);
  }
  return out;
}

/** Whether a path lies in one of the mounted claims. */
const onClaim = (pod: PodSpec, path: string) =>
  [...claimMounts(pod).values()].some((m) => path.startsWith(`${m}/`));

describe('deploy/k8s/kne-indexed-job.yaml', () => {
  const spec = job.spec as {
    completionMode: string;
    completions: number;
    parallelism: number;
  };
  const pod = podOf(job);
  const [kne] = pod.containers;
  const flags = kneFlags(kne.args!);

  it('is an Indexed batch/v1 Job whose parallelism fits its completions', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(spec.completionMode).toBe('Indexed');
    expect(Number.isInteger(spec.completions) && spec.completions >= 1).toBe(true);
    expect(spec.parallelism).toBeGreaterThanOrEqual(1);
    expect(spec.parallelism).toBeLessThanOrEqual(spec.completions);
    expect(pod.restartPolicy).toBe('Never');
  });

  it('runs kne attribute with --shards equal to completions and no fixed shard', () => {
    expect(kne.command).toBeUndefined(); // the image's entrypoint: tini, then kne
    expect(kne.args![0]).toBe('attribute');
    expect(flags['--shards']).toBe(String(spec.completions));
    expect(flags['--shard']).toBeUndefined();
    expect(flags['--model']).toBeTruthy();
    expect(flags['--facts']).toBeTruthy();
  });

  it('gives each index its own output folder on a persistent volume', () => {
    const out = flags['--out'] as string;
    expect(out).toMatch(/\/\$\(JOB_COMPLETION_INDEX\)$/);
    expect(onClaim(pod, out)).toBe(true);
    expect(onClaim(pod, flags['--facts'] as string)).toBe(true);
    const index = kne.env!.find((e) => e.name === 'JOB_COMPLETION_INDEX');
    expect(index?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
  });

  it('keeps the Hugging Face cache on a claim of its own, where HF_HOME points', () => {
    const hfHome = kne.env!.find((e) => e.name === 'HF_HOME')?.value;
    const mounts = [...claimMounts(pod)];
    const cacheClaim = mounts.find(([, path]) => path === hfHome)?.[0];
    const outClaim = mounts.find(([, path]) => (flags['--out'] as string).startsWith(`${path}/`));
    expect(cacheClaim).toBeDefined();
    expect(outClaim?.[0]).toBeDefined();
    expect(cacheClaim).not.toBe(outClaim?.[0]);
  });

  it('mounts the claims of kne-volumes.yaml, shared by pods on several nodes', () => {
    expect(claims.map((c) => c.kind)).toEqual(['PersistentVolumeClaim', 'PersistentVolumeClaim']);
    const declared = claims.map((c) => c.metadata.name);
    expect([...claimMounts(pod).keys()].sort()).toEqual([...declared].sort());
    for (const c of claims) expect(c.spec.accessModes).toEqual(['ReadWriteMany']);
  });

  it('requests and limits CPU and memory', () => {
    for (const kind of ['requests', 'limits'] as const) {
      expect(kne.resources?.[kind]?.cpu).toBeTruthy();
      expect(kne.resources?.[kind]?.memory).toBeTruthy();
    }
  });
});

describe('deploy/k8s merge job and files pod', () => {
  const shardsFolder = dirname(kneFlags(podOf(job).containers[0].args!)['--out'] as string);

  it('merge every shard folder the Indexed Job writes, then analyse the merge', () => {
    const pod = podOf(merge);
    const [container] = pod.containers;
    expect(merge.kind).toBe('Job');
    expect(container.command).toEqual(['/usr/bin/tini', '--', 'sh', '-c']);
    const calls = container.args![0].split('&&').map((c) => c.trim().split(/\s+/));
    expect(calls.map((c) => c[0])).toEqual(['kne', 'kne']);
    const mergeFlags = kneFlags(calls[0].slice(1));
    expect(calls[0][1]).toBe('merge');
    expect(mergeFlags._).toEqual([`${shardsFolder}/*`]);
    const analyzeFlags = kneFlags(calls[1].slice(1));
    expect(calls[1][1]).toBe('analyze');
    expect(analyzeFlags['--in']).toBe(mergeFlags['--out']);
    expect(claimMounts(pod)).toEqual(new Map([['kne-data', '/data']]));
    expect(claimMounts(podOf(job)).get('kne-data')).toBe('/data');
  });

  it('use the same image, and the files pod mounts both claims', () => {
    const images = [job, merge, filesPod].map((m) => podOf(m).containers[0].image);
    expect(new Set(images).size).toBe(1);
    expect(claimMounts(podOf(filesPod))).toEqual(claimMounts(podOf(job)));
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = read('deploy/Dockerfile');
  const env = (name: string) => dockerfile.match(new RegExp(`^ENV ${name}=(\\S+)$`, 'm'))?.[1];

  it('builds on Node 20 with the CPU onnxruntime and kne as entrypoint', () => {
    expect(dockerfile).toMatch(/^FROM node:20[.-][^\s]*slim$/m);
    expect(env('ONNXRUNTIME_NODE_INSTALL')).toBe('skip');
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "kne"]');
  });

  it('puts HF_HOME on a volume where the manifests mount the cache', () => {
    const hfHome = env('HF_HOME');
    expect(dockerfile).toContain(`VOLUME ["${hfHome}"]`);
    const kne = podOf(job).containers[0];
    expect(kne.env!.find((e) => e.name === 'HF_HOME')?.value).toBe(hfHome);
  });
});

describe('deploy/slurm batch scripts', () => {
  const work = mkdtempSync(join(tmpdir(), 'kne-deploy-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  let runs = 0;

  /** Runs a batch script with bash as Slurm would, kne recording its calls; returns them. */
  function runScript(script: string, env: Record<string, string>) {
    const record = join(work, `calls-${runs++}.tsv`);
    const result = spawnSync('bash', [join(root, 'deploy/slurm', script)], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        KNE: join(root, 'scripts/slurm/record-invocation.sh'),
        KNE_RECORD: record,
        ...env,
      },
    });
    let calls: string[][] = [];
    try {
      calls = readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split('\t').slice(2));
    } catch {
      // no call recorded
    }
    return { status: result.status, stderr: result.stderr, calls };
  }

  const run = {
    KNE_MODEL: 'org/model@v1',
    KNE_FACTS: '/shared/facts.jsonl',
    KNE_OUT: join(work, 'run'),
  };

  it('pass bash -n', () => {
    for (const f of ['submit.sh', 'kne-array.sbatch', 'kne-merge.sbatch']) {
      execFileSync('bash', ['-n', join(root, 'deploy/slurm', f)]);
    }
  });

  it('run kne attribute in an array task with the shard left to Slurm', () => {
    const { status, calls } = runScript('kne-array.sbatch', {
      ...run,
      KNE_LANGUAGES: 'en,zh',
      KNE_OFFLINE: '1',
      KNE_SHARDS: '4',
      SLURM_ARRAY_TASK_ID: '2',
      SLURM_ARRAY_TASK_COUNT: '4',
      SLURM_ARRAY_TASK_MIN: '0',
    });
    expect(status).toBe(0);
    expect(calls).toHaveLength(1);
    const flags = kneFlags(calls[0]);
    expect(calls[0][0]).toBe('attribute');
    expect(flags).toEqual({
      _: [],
      '--model': 'org/model@v1',
      '--facts': '/shared/facts.jsonl',
      '--method': 'amig',
      '--steps': '20',
      '--languages': 'en,zh',
      '--offline': true,
      '--shards': '4',
      '--out': `${run.KNE_OUT}/shards/2`,
    });
  });

  it('redo one shard with KNE_SHARD into the folder of that array task', () => {
    const { status, calls } = runScript('kne-array.sbatch', { ...run, KNE_SHARD: '3/4' });
    expect(status).toBe(0);
    expect(kneFlags(calls[0])).toMatchObject({
      '--shard': '3/4',
      '--out': `${run.KNE_OUT}/shards/3`,
    });
  });

  it('refuse to run outside an array without KNE_SHARD, or without the run settings', () => {
    const outside = runScript('kne-array.sbatch', run);
    expect(outside.status).not.toBe(0);
    expect(outside.stderr).toContain('KNE_SHARD=I/N');
    expect(outside.calls).toEqual([]);
    const noModel = runScript('kne-array.sbatch', {
      ...run,
      KNE_MODEL: '',
      SLURM_ARRAY_TASK_ID: '0',
    });
    expect(noModel.status).not.toBe(0);
    expect(noModel.stderr).toContain('KNE_MODEL');
  });

  it('merge every shard folder, then analyse the merge', () => {
    const out = join(work, 'merge-run');
    expect(runScript('kne-merge.sbatch', { KNE_OUT: out }).stderr).toContain('no shard folders');
    for (const i of [0, 1, 2]) mkdirSync(join(out, 'shards', String(i)), { recursive: true });
    const { status, calls } = runScript('kne-merge.sbatch', { KNE_OUT: out });
    expect(status).toBe(0);
    expect(calls).toEqual([
      ['merge', ...[0, 1, 2].map((i) => `${out}/shards/${i}`), '--out', `${out}/merged`],
      ['analyze', '--in', `${out}/merged`, '--out', `${out}/analysis`],
    ]);
  });
});
