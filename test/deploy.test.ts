/**
 * deploy/: the Dockerfile's steps (run outside Docker by scripts/docker-steps.sh: there is no
 * Docker engine here), the compose file, the Kubernetes manifests (every document validated
 * with kubernetes-models, the overlay built onto the base here and validated too, the
 * slabcached flags parsed by the real CLI parser and matched against ports, probes and
 * resources) and scripts/cluster (start 3 nodes, talk to each, stop, all gone).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseFlags, type ServerConfig } from '@slabcache/server';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import t, { type Test } from 'tap';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(ROOT, 'deploy');
const MiB = 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML trees
type Doc = Record<string, any>;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 30_000) {
  return new Promise<Run>((done) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Sends `request` to 127.0.0.1:port and resolves with the reply once it ends with `until`. */
function talk(port: number, request: string, until: string): Promise<string> {
  return new Promise((done, fail) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      fail(new Error(`no ${JSON.stringify(until)} from :${port}, got ${JSON.stringify(got)}`));
    }, 5000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.endsWith(until)) {
        clearTimeout(timer);
        s.end();
        done(got);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    s.write(request);
  });
}

/** No such process, or a zombie (the cluster's nodes outlive the script that started them, and
 * what reaps them depends on the machine's init). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function flags(args: string[], cpus = 1): ServerConfig {
  return parseFlags(args, { cpus });
}

/** Kubernetes quantities used here: 384Mi, 2Gi, 1, 500m. */
function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(String(q));
  if (m === null) throw new Error(`memory quantity ${q}`);
  const unit: Record<string, number> = { '': 1, Ki: 1024, Mi: MiB, Gi: 1024 * MiB };
  return Number(m[1]) * (unit[m[2] ?? ''] ?? Number.NaN);
}
function cpus(q: string): number {
  const s = String(q);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

const dockerSteps = run(join(ROOT, 'scripts/docker-steps.sh'), [], {}, 100_000);

// ---- Dockerfile ---------------------------------------------------------------------------

const dockerfile = readFileSync(join(DEPLOY, 'docker/Dockerfile'), 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

t.test('Dockerfile: stages, user, ports, healthcheck, entrypoint and default flags', async (t) => {
  const froms = instructions.filter((l) => l.startsWith('FROM '));
  t.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms) t.match(f, /^FROM node:24-bookworm-slim\b/, 'Node 24 base');
  const runtime = instructions.slice(instructions.lastIndexOf(froms[froms.length - 1]));
  const user = runtime.find((l) => l.startsWith('USER '));
  t.ok(user !== undefined && !/^USER (root|0)\b/.test(user), 'runs as a non-root user');
  t.ok(runtime.includes('EXPOSE 11211 11311'), 'exposes the memcache and admin ports');
  t.notOk(
    runtime.some((l) => /^COPY --from=build \S*\/src\b/.test(l) && !l.includes('/src/packages')),
    'no workspace root copied from the build stage',
  );
  t.notOk(
    runtime.some((l) => /packages\/\w+\/src\b/.test(l)),
    'no TypeScript sources in the runtime stage',
  );
  const hc = runtime.find((l) => l.startsWith('HEALTHCHECK '));
  t.match(hc, /CMD \["node", "-e", ".*fetch\('http:\/\/127\.0\.0\.1:11311\/healthz'\)/);
  t.notMatch(hc, /curl|wget/);
  t.ok(runtime.includes('ENTRYPOINT ["slabcached"]'), 'slabcached is the entrypoint');
  const cmd = runtime.find((l) => l.startsWith('CMD '));
  const args = JSON.parse(cmd?.slice(4) ?? '[]') as string[];
  const cfg = flags(args);
  t.same(cfg.listen, ['0.0.0.0'], 'default CMD listens on every interface');
  t.equal(cfg.adminHost, '0.0.0.0', 'admin reachable from outside the container');
  t.equal(cfg.port, 11211);
  t.equal(cfg.adminPort, 11311);
  t.equal(cfg.memoryLimit, 64 * MiB);
  // bin/slabcached runs dist/ only when its package sits under a node_modules/ folder.
  t.match(dockerfile, /WORKDIR \/usr\/local\/lib\/node_modules\/slabcache\n/);
  t.match(
    readFileSync(join(ROOT, 'packages/server/bin/slabcached'), 'utf8'),
    /\*\/node_modules\/\*\) exec .*dist\/main\.js/,
  );

  // Every COPY source of the build context exists, and .dockerignore keeps it out of nothing
  // that is copied (and keeps node_modules and dist out).
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
  t.match(ignore, /^\*\*\/node_modules$/m);
  t.match(ignore, /^\*\*\/dist$/m);
  for (const l of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from'))) {
    const parts = l.split(/\s+/).slice(1, -1);
    for (const p of parts) t.ok(existsSync(join(ROOT, p)), `COPY source ${p} exists`);
  }

  // scripts/docker-steps.sh runs the same pnpm installs as the Dockerfile.
  const installs = (text: string) =>
    [...text.matchAll(/(?:pnpm@12\.4\.2|"\$\{pnpm\[@\]\}") install ([^\n&>)]*)/g)].map((m) =>
      m[1]
        .replace(/\$flags /, '')
        .replace(/\\$/, '')
        .trim(),
    );
  const steps = readFileSync(join(ROOT, 'scripts/docker-steps.sh'), 'utf8');
  t.same(installs(steps), installs(dockerfile), 'same installs');
  t.equal(installs(dockerfile).length, 2);
  t.match(steps, /packages\/server\/node_modules\/\.bin\/tsc -b packages\/server/);
  t.match(dockerfile, /packages\/server\/node_modules\/\.bin\/tsc -b packages\/server/);
});

// ---- compose ------------------------------------------------------------------------------

t.test('docker-compose.yml: 3 nodes, Prometheus, Grafana', async (t) => {
  const dir = join(DEPLOY, 'compose');
  const compose = parseYaml(readFileSync(join(dir, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as Doc;
  const services = compose.services as Record<string, Doc>;
  const nodes = Object.keys(services).filter((n) => n.startsWith('slabcached'));
  t.same(nodes, ['slabcached-1', 'slabcached-2', 'slabcached-3']);
  const hostPorts = new Set<string>();
  for (const n of nodes) {
    const s = services[n];
    t.ok(existsSync(join(dir, s.build.context, s.build.dockerfile)), `${n}: Dockerfile exists`);
    const cfg = flags(s.command);
    t.same(cfg.listen, ['0.0.0.0'], `${n}: listens on the container's interfaces`);
    t.equal(cfg.adminHost, '0.0.0.0', `${n}: admin reachable by Prometheus`);
    const limit = bytes(String(s.mem_limit).replace(/m$/, 'Mi'));
    t.ok(limit >= cfg.memoryLimit + 64 * MiB, `${n}: mem_limit leaves room over -m`);
    for (const p of s.ports as string[]) {
      const [, host, container] = p.split(':');
      t.notOk(hostPorts.has(host), `${n}: host port ${host} unique`);
      hostPorts.add(host);
      t.ok([String(cfg.port), String(cfg.adminPort)].includes(container), `${n}: maps ${p}`);
    }
  }
  // Prometheus scrapes every node's admin port by its service name.
  const promVolume = (services.prometheus.volumes as string[])[0].split(':');
  const prom = parseYaml(readFileSync(join(dir, promVolume[0]), 'utf8')) as Doc;
  t.equal(promVolume[1], '/etc/prometheus/prometheus.yml');
  const targets = prom.scrape_configs[0].static_configs[0].targets as string[];
  t.same(
    targets,
    nodes.map((n) => `${n}:11311`),
  );
  t.equal(prom.scrape_configs[0].metrics_path, '/metrics');
  // Grafana: provisioning folder and the dashboard exist and parse.
  const gVolumes = (services.grafana.volumes as string[]).map((v) => v.split(':'));
  for (const [host] of gVolumes) t.ok(existsSync(join(dir, host)), `${host} exists`);
  const provisioning = join(dir, gVolumes[0][0]);
  const ds = parseYaml(readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8'));
  t.equal(ds.datasources[0].type, 'prometheus');
  t.equal(ds.datasources[0].url, 'http://prometheus:9090');
  t.equal(ds.datasources[0].isDefault, true, "the dashboard's $datasource picks it");
  const dash = parseYaml(readFileSync(join(provisioning, 'dashboards/slabcache.yml'), 'utf8'));
  const dashPath = dash.providers[0].options.path as string;
  const mounted = gVolumes.find((v) => v[1].startsWith(`${dashPath}/`));
  t.ok(mounted, 'the dashboard is mounted where the provider looks');
  t.ok(JSON.parse(readFileSync(join(dir, mounted?.[0] ?? ''), 'utf8')).panels.length > 0);
});

// ---- Kubernetes ---------------------------------------------------------------------------

const K8S = join(DEPLOY, 'k8s');
const MODELS: Record<string, new (d: Doc) => { validate(): void }> = {
  'apps/v1/StatefulSet': StatefulSet as never,
  'v1/Service': Service as never,
  'v1/ConfigMap': ConfigMap as never,
  'v1/Namespace': Namespace as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
};

function validate(doc: Doc): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (Model === undefined) throw new Error(`no model for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

function docsOf(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw d.errors[0];
    return d.toJS() as Doc;
  });
}

/** Strategic merge for the fields patched here: maps merge, `containers` merge by name,
 * other lists are replaced (as Kubernetes does for args). */
function merge(base: unknown, patch: unknown, key = ''): unknown {
  if (Array.isArray(patch)) {
    if (key !== 'containers' || !Array.isArray(base)) return structuredClone(patch);
    const out = structuredClone(base) as Doc[];
    for (const p of patch as Doc[]) {
      const i = out.findIndex((c) => c.name === p.name);
      if (i < 0) out.push(structuredClone(p));
      else out[i] = merge(out[i], p) as Doc;
    }
    return out;
  }
  if (patch !== null && typeof patch === 'object') {
    const out: Doc =
      base !== null && typeof base === 'object' && !Array.isArray(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v, k);
    return out;
  }
  return patch;
}

/** A small `kustomize build` for the features used here: resources (files and directories),
 * labels, namespace, replicas, patches (strategic merge, by kind and name). */
function build(dir: string): Doc[] {
  const k = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Doc;
  let docs: Doc[] = [];
  for (const r of (k.resources ?? []) as string[]) {
    const p = join(dir, r);
    docs.push(...(statSync(p).isDirectory() ? build(p) : docsOf(p)));
  }
  for (const l of (k.labels ?? []) as Doc[]) {
    for (const d of docs) {
      d.metadata.labels = { ...d.metadata.labels, ...l.pairs };
      if (l.includeTemplates && d.spec?.template) {
        d.spec.template.metadata ??= {};
        d.spec.template.metadata.labels = { ...d.spec.template.metadata.labels, ...l.pairs };
      }
    }
  }
  if (k.namespace) {
    for (const d of docs) if (d.kind !== 'Namespace') d.metadata.namespace = k.namespace;
  }
  for (const r of (k.replicas ?? []) as Doc[]) {
    const d = docs.find((d) => d.metadata.name === r.name && d.spec?.replicas !== undefined);
    if (d === undefined) throw new Error(`replicas: no ${r.name}`);
    d.spec.replicas = r.count;
  }
  for (const p of (k.patches ?? []) as Doc[]) {
    for (const patch of docsOf(join(dir, p.path))) {
      const i = docs.findIndex(
        (d) => d.kind === patch.kind && d.metadata.name === patch.metadata.name,
      );
      if (i < 0) throw new Error(`patch ${p.path}: no ${patch.kind} ${patch.metadata.name}`);
      docs[i] = merge(docs[i], patch) as Doc;
    }
  }
  docs = docs.map((d) => structuredClone(d));
  return docs;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The checks every build (base or overlay) passes. */
function checkCluster(t: Test, docs: Doc[], name: string) {
  for (const d of docs)
    t.doesNotThrow(() => validate(d), `${name}: ${d.kind} ${d.metadata.name} valid`);
  const sts = docs.find((d) => d.kind === 'StatefulSet') as Doc;
  const pod = sts.spec.template;
  const podLabels = pod.metadata.labels as Record<string, string>;
  t.ok(selects(sts.spec.selector.matchLabels, podLabels), `${name}: selector matches the pods`);
  const headless = docs.find((d) => d.kind === 'Service' && d.spec.clusterIP === 'None') as Doc;
  t.ok(headless, `${name}: a headless Service`);
  t.equal(sts.spec.serviceName, headless.metadata.name, `${name}: serviceName is the headless one`);
  t.ok(selects(headless.spec.selector, podLabels), `${name}: headless Service selects the pods`);
  const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget') as Doc;
  t.ok(selects(pdb.spec.selector.matchLabels, podLabels), `${name}: PDB selects the pods`);
  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    t.ok(selects(svc.spec.selector, podLabels), `${name}: ${svc.metadata.name} selects the pods`);
  }

  const c = pod.spec.containers.find((c: Doc) => c.name === 'slabcached') as Doc;
  const ports = Object.fromEntries(c.ports.map((p: Doc) => [p.name, p.containerPort]));
  const cfg = flags(c.args);
  t.same(cfg.listen, ['0.0.0.0'], `${name}: listens on the pod IP`);
  t.equal(cfg.adminHost, '0.0.0.0', `${name}: probes and Prometheus reach the admin port`);
  t.equal(ports.memcache, cfg.port, `${name}: memcache port`);
  t.equal(ports.admin, cfg.adminPort, `${name}: admin port`);
  t.equal(c.readinessProbe.httpGet.path, '/readyz');
  t.equal(c.livenessProbe.httpGet.path, '/healthz');
  for (const probe of [c.readinessProbe, c.livenessProbe]) {
    const port = probe.httpGet.port;
    t.equal(typeof port === 'string' ? ports[port] : port, cfg.adminPort, `${name}: probe port`);
  }
  t.equal(pod.metadata.annotations['prometheus.io/scrape'], 'true');
  t.equal(Number(pod.metadata.annotations['prometheus.io/port']), cfg.adminPort);
  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    for (const p of svc.spec.ports as Doc[]) {
      t.ok(p.targetPort in ports, `${name}: ${svc.metadata.name} targets a named container port`);
    }
  }

  // Resources match the flags: memory = -m plus Node/runtime overhead, request = limit; the
  // CPU limit equals -t (whose default, the host's cores, means nothing in a container).
  const req = bytes(c.resources.requests.memory);
  const lim = bytes(c.resources.limits.memory);
  t.equal(req, lim, `${name}: memory request = limit`);
  const overhead = req - cfg.memoryLimit;
  t.ok(
    overhead >= 96 * MiB && overhead <= 512 * MiB,
    `${name}: memory ${req / MiB} MiB = -m ${cfg.memoryLimit / MiB} + ${overhead / MiB} overhead`,
  );
  t.ok(c.args.includes('-t'), `${name}: -t given`);
  t.equal(cpus(c.resources.limits.cpu), cfg.threads, `${name}: cpu limit = -t`);
  t.ok(cpus(c.resources.requests.cpu) <= cpus(c.resources.limits.cpu));
  t.ok(pod.spec.securityContext.runAsNonRoot, `${name}: non-root`);
  return { sts, cfg };
}

t.test('k8s: every YAML document parses and every built-in kind validates', async (t) => {
  const files = yamlFiles(K8S);
  t.ok(files.length >= 8);
  for (const f of files) {
    for (const d of docsOf(f)) {
      const rel = f.slice(K8S.length + 1);
      if (d.kind === 'Kustomization') {
        t.equal(d.apiVersion, 'kustomize.config.k8s.io/v1beta1', rel);
        const dir = dirname(f);
        for (const r of d.resources ?? []) t.ok(existsSync(join(dir, r)), `${rel}: ${r} exists`);
        for (const p of d.patches ?? [])
          t.ok(existsSync(join(dir, p.path)), `${rel}: ${p.path} exists`);
      } else if (d.kind === 'ServiceMonitor') {
        t.equal(d.apiVersion, 'monitoring.coreos.com/v1');
        t.equal(d.spec.endpoints[0].port, 'admin');
        t.equal(d.spec.endpoints[0].path, '/metrics');
      } else if (rel.includes('patch')) {
        t.ok(d.kind && d.metadata?.name, `${rel}: a patch names its target`);
      } else {
        t.doesNotThrow(() => validate(d), `${rel}: ${d.kind} valid`);
      }
    }
  }
  // The ServiceMonitor (not in base: its CRD may be absent) selects the admin Service.
  const sm = docsOf(join(K8S, 'base/servicemonitor.yaml'))[0];
  const admin = docsOf(join(K8S, 'base/service-admin.yaml'))[0];
  t.ok(selects(sm.spec.selector.matchLabels, admin.metadata.labels), 'ServiceMonitor selects it');
  t.ok(admin.spec.ports.some((p: Doc) => p.name === sm.spec.endpoints[0].port));
  const baseK = parseYaml(readFileSync(join(K8S, 'base/kustomization.yaml'), 'utf8'));
  t.notOk(baseK.resources.includes('servicemonitor.yaml'));
});

t.test('k8s base: built, validated, flags match ports, probes and resources', async (t) => {
  const docs = build(join(K8S, 'base'));
  t.same(docs.map((d) => d.kind).sort(), [
    'PodDisruptionBudget',
    'Service',
    'Service',
    'StatefulSet',
  ]);
  const { sts, cfg } = checkCluster(t, docs, 'base');
  t.equal(sts.spec.replicas, 3);
  t.equal(cfg.memoryLimit, 256 * MiB);
});

t.test('k8s overlays/example: patched onto the base, validated, consistent', async (t) => {
  const docs = build(join(K8S, 'overlays/example'));
  const ns = docs.find((d) => d.kind === 'Namespace') as Doc;
  t.equal(ns.metadata.name, 'slabcache');
  for (const d of docs) {
    if (d.kind !== 'Namespace') t.equal(d.metadata.namespace, 'slabcache', `${d.kind} namespaced`);
  }
  const { sts, cfg } = checkCluster(t, docs, 'example');
  t.equal(sts.spec.replicas, 5);
  t.equal(cfg.memoryLimit, 2048 * MiB, 'bigger -m');
  t.equal(cfg.threads, 4);
  const c = sts.spec.template.spec.containers[0];
  t.ok(c.readinessProbe && c.livenessProbe && c.securityContext, 'base fields kept by the patch');
  t.equal(sts.spec.template.metadata.labels['app.kubernetes.io/part-of'], 'slabcache');
});

// ---- scripts/cluster ----------------------------------------------------------------------

t.test('scripts/cluster: start 3 nodes, talk to each, stop, all gone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'slabcache-cluster-test-'));
  const env = { SLABCACHE_CLUSTER_DIR: dir };
  const cluster = join(ROOT, 'scripts/cluster');
  t.teardown(async () => {
    await run(cluster, ['stop'], env);
    rmSync(dir, { recursive: true, force: true });
  });

  // A random base port below the ephemeral range (32768+, where other tests' sockets come and
  // go), admin ports at base + 1000; retried on a clash with something already listening.
  let started: Run | undefined;
  let base = 0;
  const attempts: string[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    base = 20000 + Math.floor(Math.random() * 1100) * 10;
    started = await run(cluster, ['start', '3', '--base-port', String(base)], env);
    if (started.code === 0) break;
    attempts.push(started.stderr);
  }
  t.equal(started?.code, 0, `start\n${started?.stdout}${attempts.join('')}`);
  const servers = started?.stdout.split('\n').filter((l) => /^127\.0\.0\.1:\d+$/.test(l));
  t.same(
    servers,
    [0, 1, 2].map((i) => `127.0.0.1:${base + i}`),
    'prints the server list',
  );

  const again = await run(cluster, ['start', '2', '--base-port', String(base + 5)], env);
  t.not(again.code, 0, 'a second start is refused while one runs');

  const status = await run(cluster, ['status'], env);
  t.equal(status.code, 0);
  t.match(status.stdout, /3 of 3 node\(s\) up/);

  // Each node answers, and each is its own cache (the client spreads keys over them).
  for (let i = 0; i < 3; i++) {
    const port = base + i;
    t.equal(await talk(port, `set k 0 0 2\r\nn${i}\r\n`, '\r\n'), 'STORED\r\n', `node ${i} stores`);
  }
  for (let i = 0; i < 3; i++) {
    const got = await talk(base + i, 'get k\r\n', 'END\r\n');
    t.equal(got, `VALUE k 0 2\r\nn${i}\r\nEND\r\n`, `node ${i} has its own value`);
    const health = await fetch(`http://127.0.0.1:${base + 1000 + i}/healthz`);
    t.equal(health.status, 200, `node ${i} admin /healthz`);
  }

  const pids = readFileSync(join(dir, 'state'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => Number(l.split(' ')[0]));
  t.equal(pids.length, 3);
  const stopped = await run(cluster, ['stop'], env);
  t.equal(stopped.code, 0);
  t.match(stopped.stdout, /stopped 3 node\(s\)/);
  for (const pid of pids) {
    t.ok(gone(pid), `pid ${pid} gone`);
  }
  const after = await run(cluster, ['status'], env);
  t.equal(after.code, 3, 'status: no cluster');
  for (let i = 0; i < 3; i++) {
    await t.rejects(talk(base + i, 'version\r\n', '\r\n'), `port ${base + i} closed`);
  }
});

// Started at load: it builds with tsc, the longest step, while the other tests run.
t.test('docker-steps.sh: build, production install, run slabcached from it', async (t) => {
  const r = await dockerSteps;
  t.equal(r.code, 0, `exit 0\n${r.stdout}\n${r.stderr}`);
  t.match(r.stdout, /healthcheck ok/);
  t.match(r.stdout, /set\/get ok/);
  t.match(r.stdout, /stopped \(exit 0\)/);
  t.match(r.stdout, /docker-steps: ok/);
});
