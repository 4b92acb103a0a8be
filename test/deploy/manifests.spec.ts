// The deployment files as tests (deploy/validate.sh has already run `docker-compose config` and
// `helm lint --strict` in the test command; this checks what they cannot):
// - The Helm chart deploy/helm/usage-ledger rendered by `helm template` with its default values and
//   each ci/*-values.yaml: every object valid against the Kubernetes schemas kubernetes-models
//   ships (its validate(): types, required fields, formats such as quantities), and with no field
//   those schemas do not know (TypeScript's excess-property check against kubernetes-models'
//   interfaces: a misspelt `livenessProbe` is dropped by the API server, and the probe never runs);
//   then what the chart is for: roles, probes, secrets, sizes, the partition bound.
// - docker-compose.yml: the same roles, health checks, no secret in the file itself.
// helm comes from deploy/helm/ensure-helm.sh (built once from the Go module proxy); without it the
// chart's tests are skipped, saying why.
//   NODE_OPTIONS=--experimental-vm-modules npx jest test/deploy
import { execFileSync, spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'deploy/helm/usage-ledger');
const VALUE_SETS = {
  defaults: [],
  kurrentdb: ['-f', join(CHART, 'ci/kurrentdb-values.yaml')],
  'http-only': ['-f', join(CHART, 'ci/http-only-values.yaml')],
} as const;

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: any }; [k: string]: any };

/** helm's path, or why there is none (ensure-helm.sh's last line on stderr). */
function findHelm(): { helm: string } | { unavailable: string } {
  const run = spawnSync('bash', [join(ROOT, 'deploy/helm/ensure-helm.sh')], { encoding: 'utf8', timeout: 20 * 60_000 });
  const path = run.stdout?.trim().split('\n').pop();
  if (run.status === 0 && path) return { helm: path };
  const reason = (run.stderr ?? '').trim().split('\n').pop() || `ensure-helm.sh exited ${run.status ?? run.signal}`;
  return { unavailable: reason };
}

function render(helm: string, args: readonly string[]): K8sObject[] {
  const text = execFileSync(helm, ['template', 'ledger', CHART, ...args], { encoding: 'utf8' });
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** kubernetes-models' module of a kind: kubernetes-models/<group>/<version>/<Kind> (core: v1/<Kind>). */
function modelPath(o: K8sObject): string {
  return `kubernetes-models/${o.apiVersion}/${o.kind}`;
}

/** The schema's errors for one object ('' when valid): kubernetes-models' validate() throws them. */
function schemaErrors(o: K8sObject): string {
  const Model = require(modelPath(o))[o.kind]; // eslint-disable-line @typescript-eslint/no-require-imports
  if (typeof Model !== 'function') return `no kubernetes-models class for ${o.apiVersion} ${o.kind}`;
  try {
    new Model(o).validate();
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Fields the Kubernetes types do not have, per object: each object becomes an object literal typed
 * with kubernetes-models' interface of its kind, and TypeScript reports every excess property (at
 * any depth) and every value of the wrong type.
 */
function typeErrors(objects: K8sObject[]): string[] {
  const file = join(ROOT, 'test/deploy/__rendered__.ts');
  const starts: number[] = [];
  let source = '';
  objects.forEach((o, i) => {
    source += `import type { I${o.kind} as T${i} } from '${modelPath(o)}';\n`;
  });
  objects.forEach((o, i) => {
    starts.push(source.length);
    source += `export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};\n`;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
    const at = d.start ?? 0;
    const i = starts.filter((s) => s <= at).length - 1;
    const where = i >= 0 ? `${objects[i].kind}/${objects[i].metadata.name}` : 'imports';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const deployment = (objects: K8sObject[], component: string) => {
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === component);
  if (!d) throw new Error(`no Deployment of component ${component}`);
  return d;
};
const containerOf = (d: K8sObject) => d.spec.template.spec.containers[0];
const envOf = (d: K8sObject): Record<string, string> =>
  Object.fromEntries((containerOf(d).env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
/** Mebibytes of a memory quantity (Mi, Gi, M, G). */
const mebibytes = (q: string) => {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|M|G)$/.exec(q);
  if (!m) throw new Error(`unexpected memory quantity ${q}`);
  const n = Number(m[1]);
  return { Mi: n, Gi: n * 1024, M: (n * 1e6) / 2 ** 20, G: (n * 1e9) / 2 ** 20 }[m[2] as 'Mi' | 'Gi' | 'M' | 'G'];
};
const SECRET_NAMES = /PASSWORD|SECRET|ADMIN_KEY|DATABASE_URL|KURRENTDB_URL|SSL_KEY/;

const found = findHelm();
if ('unavailable' in found) {
  // jest does not list a file whose tests are all skipped (nor its console): stderr shows it
  process.stderr.write(`the Helm chart: skipped, ${found.unavailable}\n`);
  describe.skip(`the Helm chart deploy/helm/usage-ledger: skipped, ${found.unavailable}`, () => {
    it('needs helm (deploy/helm/ensure-helm.sh builds it from the Go module proxy)', () => undefined);
  });
} else {
  const { helm } = found;
  const rendered = Object.fromEntries(Object.entries(VALUE_SETS).map(([name, args]) => [name, render(helm, args)])) as Record<
    keyof typeof VALUE_SETS,
    K8sObject[]
  >;

  describe(`the Helm chart deploy/helm/usage-ledger (${execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim()})`, () => {
    describe.each(Object.keys(VALUE_SETS) as (keyof typeof VALUE_SETS)[])('rendered with the %s values', (name) => {
      const objects = rendered[name];

      it('is valid against the Kubernetes schemas, object by object (kubernetes-models validate)', () => {
        expect(objects.length).toBeGreaterThan(0);
        const errors = objects.map((o) => [`${o.kind}/${o.metadata.name}`, schemaErrors(o)]).filter(([, e]) => e);
        expect(errors).toEqual([]);
      });

      it('has no field, at any depth, that the Kubernetes types do not know (TypeScript over kubernetes-models)', () => {
        expect(typeErrors(objects)).toEqual([]);
      });

      it('probes every process on its health path and port, with requests and a memory limit above its heap', () => {
        for (const d of byKind(objects, 'Deployment')) {
          const c = containerOf(d);
          const component = d.metadata.labels['app.kubernetes.io/component'];
          const path = component === 'ingestor' ? '/healthz' : '/health';
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
            expect([component, probe, c[probe]?.httpGet]).toEqual([component, probe, { path, port: 'http' }]);
          const port = c.ports.find((p: { name: string }) => p.name === 'http').containerPort;
          const env = envOf(d);
          expect(String(port)).toBe(env.PORT ?? env.KAFKA_METRICS_PORT ?? env.PROJECTOR_PORT);
          expect(c.resources.requests).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
          const heap = Number(
            /^--max-old-space-size=(\d+)$/.exec(c.command.find((a: string) => a.startsWith('--max-old-space-size=')))![1],
          );
          expect(heap).toBeLessThan(mebibytes(c.resources.limits.memory));
          expect(c.securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }));
        }
      });

      it('gives each process one role: only the projector projects, only the runner runs the process managers', () => {
        const api = envOf(deployment(objects, 'api'));
        expect(api).toEqual(expect.objectContaining({ LEDGER_PROJECTOR: 'off', LEDGER_PROCESS: 'false', KAFKA_INGEST: 'off' }));
        const runner = envOf(deployment(objects, 'runner'));
        expect(runner).toEqual(expect.objectContaining({ LEDGER_PROJECTOR: 'off', LEDGER_PROCESS: 'true', KAFKA_INGEST: 'off' }));
        expect(containerOf(deployment(objects, 'projector')).command).toContain('apps/projector/src/main.ts');
        const managers = byKind(objects, 'Deployment').filter((d) => envOf(d).LEDGER_PROCESS !== 'false');
        expect(managers.map((d) => d.metadata.labels['app.kubernetes.io/component'])).toEqual(['runner']);
        const projecting = byKind(objects, 'Deployment').filter(
          (d) => envOf(d).LEDGER_PROJECTOR !== 'off' && !containerOf(d).command.includes('apps/projector/src/main.ts'),
        );
        expect(projecting).toEqual([]);
        // The Service sends traffic to the API's pods only (not the runner's, which are the same app).
        const [service] = byKind(objects, 'Service');
        const labels = deployment(objects, 'api').spec.template.metadata.labels;
        for (const [k, v] of Object.entries(service.spec.selector)) expect(labels[k]).toBe(v);
        expect(service.spec.selector['app.kubernetes.io/component']).toBe('api');
      });

      it('takes its settings from the ConfigMap and every secret from the Secret, never as a literal', () => {
        const [config] = byKind(objects, 'ConfigMap');
        expect(config.data).toEqual(expect.objectContaining({ LEDGER_HOST: '0.0.0.0', NODE_ENV: 'production' }));
        expect(Object.keys(config.data).filter((k) => SECRET_NAMES.test(k))).toEqual([]);
        for (const d of byKind(objects, 'Deployment')) {
          const c = containerOf(d);
          expect(c.envFrom).toEqual([
            { configMapRef: { name: config.metadata.name } },
            { secretRef: { name: expect.stringMatching(/secrets$/) } },
          ]);
          expect(Object.keys(envOf(d)).filter((k) => SECRET_NAMES.test(k))).toEqual([]);
        }
      });
    });

    it('runs the ingestors up to the partition count, and refuses more', () => {
      expect(deployment(rendered.defaults, 'ingestor').spec.replicas).toBeLessThanOrEqual(12);
      const run = spawnSync(helm, ['template', 'ledger', CHART, '--set', 'kafka.partitions=4', '--set', 'ingestor.replicas=5'], {
        encoding: 'utf8',
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/ingestor.replicas \(5\) is above kafka.partitions \(4\)/);
    });

    it('with KurrentDB: the store, its URL in the Secret, TLS files mounted, standbys and shards', () => {
      const objects = rendered.kurrentdb;
      const [config] = byKind(objects, 'ConfigMap');
      expect(config.data).toEqual(
        expect.objectContaining({ LEDGER_STORE: 'kurrentdb', LEDGER_SCHEMA: 'ledger_kdb', LEDGER_PROCESS_SHARDS: '2', KAFKA_SSL: 'true' }),
      );
      const [secret] = byKind(objects, 'Secret');
      expect(Object.keys(secret.stringData).sort()).toEqual(
        ['DATABASE_URL', 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME', 'KURRENTDB_URL', 'LEDGER_ADMIN_KEY'].sort(),
      );
      for (const d of byKind(objects, 'Deployment'))
        expect(containerOf(d).volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/ledger/tls', readOnly: true });
      expect(deployment(objects, 'projector').spec.replicas).toBe(2);
      expect(deployment(objects, 'runner').spec.replicas).toBe(2);
    });

    it('without Kafka: no ingestors and no KAFKA_BROKERS', () => {
      const objects = rendered['http-only'];
      expect(byKind(objects, 'Deployment').map((d) => d.metadata.labels['app.kubernetes.io/component'])).not.toContain('ingestor');
      expect(byKind(objects, 'ConfigMap')[0].data.KAFKA_BROKERS).toBeUndefined();
    });

    it('its checks catch a misspelt field, a bad quantity and a missing container name', () => {
      const d = structuredClone(deployment(rendered.defaults, 'api'));
      const c = containerOf(d);
      c.livenesProbe = c.livenessProbe;
      c.resources.requests.cpu = 'lots';
      delete d.spec.template.spec.containers[0].name;
      expect(schemaErrors(d)).toMatch(/containers\/0 must have required property name/);
      expect(schemaErrors(d)).toMatch(/cpu must match format "quantity"/);
      expect(typeErrors([d]).join('\n')).toMatch(/livenesProbe"' does not exist in type 'IContainer'/);
    });
  });
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  const services = compose.services as Record<string, any>;
  const env = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, String(v)]));

  it('brings up Kafka, PostgreSQL, KurrentDB (profile kurrentdb), the ledger processes and the sample producer', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'ingestor', 'kafka', 'kafka-topics', 'kurrentdb', 'postgres', 'projector', 'runner', 'sample'].sort(),
    );
    expect(services.kurrentdb.profiles).toEqual(['kurrentdb']);
    expect(services.sample.restart).toBe('no');
    expect(services.sample.command).toContain('apps/ledger/src/cli/send-sample.ts');
    expect(services.ingestor.deploy.replicas).toBeGreaterThanOrEqual(2);
  });

  it('gives the ledger processes the chart roles, each with a health check on its port', () => {
    expect(env('api')).toEqual(expect.objectContaining({ LEDGER_PROJECTOR: 'off', LEDGER_PROCESS: 'false', KAFKA_INGEST: 'off' }));
    expect(env('ingestor')).toEqual(
      expect.objectContaining({ LEDGER_PROJECTOR: 'off', LEDGER_PROCESS: 'false', KAFKA_METRICS_PORT: '9464' }),
    );
    expect(env('runner')).toEqual(expect.objectContaining({ LEDGER_PROJECTOR: 'off', LEDGER_PROCESS: 'true', KAFKA_INGEST: 'off' }));
    expect(env('projector').PROJECTOR_PORT).toBe('3100');
    const health = { api: ':3000/health', ingestor: ':9464/healthz', projector: ':3100/health', runner: ':3000/health' };
    for (const [name, url] of Object.entries(health))
      expect([name, services[name].healthcheck.test.join(' ')]).toEqual([name, expect.stringContaining(url)]);
    for (const name of ['postgres', 'kafka', 'kurrentdb']) expect(services[name].healthcheck.test).toBeDefined();
  });

  it('keeps secrets in the env file only, whose values are development placeholders', () => {
    for (const [name, service] of Object.entries(services))
      expect([name, Object.keys(service.environment ?? {}).filter((k) => SECRET_NAMES.test(k))]).toEqual([name, []]);
    const file = readFileSync(join(ROOT, 'deploy/compose/dev.env'), 'utf8');
    const entries = file
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split(/=(.*)/s).slice(0, 2));
    expect(entries.map(([k]) => k)).toEqual(expect.arrayContaining(['LEDGER_ADMIN_KEY', 'DATABASE_URL', 'POSTGRES_PASSWORD']));
    for (const [k, v] of entries) if (SECRET_NAMES.test(k)) expect([k, v]).toEqual([k, expect.stringContaining('dev-only')]);
  });

  it('with deploy/compose/kurrentdb.yml: every ledger process on KurrentDB, in a schema of its own', () => {
    const override = parse(readFileSync(join(ROOT, 'deploy/compose/kurrentdb.yml'), 'utf8'), { merge: true });
    for (const name of ['api', 'ingestor', 'projector', 'runner']) {
      expect(override.services[name].environment).toEqual(
        expect.objectContaining({ LEDGER_STORE: 'kurrentdb', LEDGER_SCHEMA: 'ledger_kdb' }),
      );
      expect(override.services[name].depends_on.kurrentdb).toEqual({ condition: 'service_healthy' });
    }
  });
});
