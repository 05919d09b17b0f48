// The Helm chart, rendered offline: helm lint --strict, every object validated against the
// Kubernetes and KEDA schemas (kubeconform -strict), assertions on what matters for operations, and
// values that must be refused with a clear message.
import YAML from 'yaml';
import {
  contractTopics,
  find,
  type K8sObject,
  lint,
  ofKind,
  productionValues,
  render,
  renderNotes,
  SERVICES,
  serviceFacts,
  template,
  topicSettings,
  validate,
} from './tools';

const cases: Array<[string, string[]]> = [
  ['default values', []],
  ['helm/values-production.yaml', [productionValues]],
];

describe.each(cases)('the chart with %s', (_label, values) => {
  let objects: K8sObject[];
  const production = values.length > 0;
  beforeAll(() => {
    objects = render(values);
  });
  const name = (service: string) => `aperture-${service}`;
  const podSpec = (service: string) => find(objects, 'Deployment', name(service))['spec'].template.spec;
  const container = (service: string) => podSpec(service).containers[0];

  it('prints NOTES that say how to reach the API, its docs, the admin token and the metrics', () => {
    const notes = renderNotes(values);
    if (production) {
      expect(notes).toContain('https://aperture.example.com/docs');
      expect(notes).toMatch(
        /quality +http 8081 +grpc 50052 +KEDA \(lag on aperture\.image\.ingested\.v1 \+ CPU\) 3-24 replicas/,
      );
    } else {
      expect(notes).toContain('kubectl -n aperture port-forward svc/aperture-ingest 8080:8080');
      expect(notes).toContain('http://127.0.0.1:8080/docs');
      expect(notes).toContain('Tracing export is off');
    }
    expect(notes).toContain(
      `get secret ${production ? 'aperture-prod-credentials' : 'aperture-credentials'}`,
    );
    expect(notes).toContain('logs job/aperture-topics');
    expect(notes).toContain('/metrics');
    for (const service of SERVICES) expect(notes).toMatch(new RegExp(`^  ${service} +http \\d+`, 'm'));
  });

  it('passes helm lint --strict', () => {
    const result = lint(values);
    expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('renders objects that all validate against the Kubernetes and KEDA schemas (strict)', () => {
    const result = validate(objects);
    expect(result.problems).toEqual([]);
    expect(result.summary).toMatchObject({ valid: objects.length, invalid: 0, errors: 0, skipped: 0 });
    expect(objects.length).toBeGreaterThan(30);
  });

  it.each(SERVICES)(
    'gives %s its own Deployment, Service, PDB, ServiceAccount and NetworkPolicy',
    (service) => {
      for (const kind of [
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'ServiceAccount',
        'NetworkPolicy',
      ]) {
        expect(find(objects, kind, name(service)).metadata.labels).toMatchObject({
          'app.kubernetes.io/component': service,
        });
      }
      expect(podSpec(service).serviceAccountName).toBe(name(service));
      expect(podSpec(service).automountServiceAccountToken).toBe(false);
      expect(find(objects, 'ServiceAccount', name(service))['automountServiceAccountToken']).toBe(false);
    },
  );

  it.each(SERVICES)('scales %s with exactly one autoscaler: an HPA, or a KEDA ScaledObject', (service) => {
    const hpa = objects.filter(
      (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name(service),
    );
    const scaled = objects.filter((o) => o.kind === 'ScaledObject' && o.metadata.name === name(service));
    expect(hpa.length + scaled.length).toBe(1);
    // KEDA in production for every consumer; ingest (no consumer) always has the CPU HPA.
    expect(scaled.length).toBe(production && service !== 'ingest' ? 1 : 0);
    const target = (hpa[0]?.['spec'].scaleTargetRef ?? scaled[0]?.['spec'].scaleTargetRef) as {
      name: string;
    };
    expect(target.name).toBe(name(service));
    // The Deployment leaves the replica count to the autoscaler.
    expect(find(objects, 'Deployment', name(service))['spec'].replicas).toBeUndefined();
  });

  it('points each ScaledObject at its consumer group and input topic, with CPU beside lag, and never above the partitions', () => {
    const partitions = topicSettings(objects);
    for (const scaled of ofKind(objects, 'ScaledObject')) {
      const service = scaled.metadata.name.replace('aperture-', '');
      const triggers = scaled['spec'].triggers as Array<{ type: string; metadata: Record<string, string> }>;
      const kafka = triggers.find((t) => t.type === 'kafka')!;
      const cpu = triggers.find((t) => t.type === 'cpu');
      expect(kafka.metadata).toMatchObject({
        consumerGroup: service,
        topic: serviceFacts(service as never).inputTopic,
        allowIdleConsumers: 'false',
      });
      expect(kafka.metadata['bootstrapServers']).toBe(
        find(objects, 'ConfigMap', 'aperture-config')['data'].KAFKA_BROKERS,
      );
      expect(cpu).toMatchObject({ metricType: 'Utilization' });
      expect(scaled['spec'].maxReplicaCount).toBeLessThanOrEqual(
        partitions.get(kafka.metadata['topic']!)!.partitions,
      );
    }
    for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) {
      const topic = serviceFacts(hpa.metadata.name.replace('aperture-', '') as never).inputTopic;
      if (topic) expect(hpa['spec'].maxReplicas).toBeLessThanOrEqual(partitions.get(topic)!.partitions);
    }
  });

  it.each(SERVICES)('runs %s with the ports, group and probes of its code', (service) => {
    const facts = serviceFacts(service);
    const c = container(service);
    const env = Object.fromEntries(
      (c.env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]),
    );
    expect(c.ports).toEqual([
      { name: 'http', containerPort: facts.httpPort, protocol: 'TCP' },
      { name: 'grpc', containerPort: facts.grpcPort, protocol: 'TCP' },
    ]);
    expect(env).toMatchObject({ HTTP_PORT: String(facts.httpPort), GRPC_PORT: String(facts.grpcPort) });
    expect(env['KAFKA_GROUP_ID']).toBe(facts.inputTopic ? service : undefined);
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    const svcPorts = find(objects, 'Service', name(service))['spec'].ports;
    expect((svcPorts as Array<{ name: string; port: number }>).map((p) => [p.name, p.port])).toEqual([
      ['http', facts.httpPort],
      ['grpc', facts.grpcPort],
    ]);
    const annotations = find(objects, 'Deployment', name(service))['spec'].template.metadata.annotations;
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(facts.httpPort),
      'prometheus.io/path': '/metrics',
    });
  });

  it.each(SERVICES)('runs %s non-root on a read-only root file system with a writable /tmp', (service) => {
    const pod = podSpec(service);
    const c = container(service);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({ name: 'tmp', emptyDir: expect.any(Object) }),
    );
    expect(pod.topologySpreadConstraints?.length).toBeGreaterThan(0);
  });

  it('admits outside traffic to ingest and to the REST APIs of compliance and annotation-router only; the rest take metrics scrapes and gRPC from the release', () => {
    const isReleasePeer = (peer: object) =>
      JSON.stringify(peer) ===
      JSON.stringify({
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'aperture', 'app.kubernetes.io/instance': 'aperture' },
        },
      });
    for (const service of SERVICES) {
      const policy = find(objects, 'NetworkPolicy', name(service))['spec'];
      expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
      const open = (policy.ingress as Array<{ from?: object[] }>).filter(
        (rule) => !rule.from || rule.from.some((peer) => 'ipBlock' in peer),
      );
      if (service === 'ingest') {
        expect(open).toHaveLength(1);
        expect((policy.ingress[0].ports as Array<{ port: string }>).map((p) => p.port)).toEqual([
          'http',
          'grpc',
        ]);
      } else {
        const restApi = service === 'compliance' || service === 'annotation-router';
        // Their client REST API (consents, erasure, audit; tasks, export, report) on the http port only.
        expect(open).toEqual(restApi ? [{ ports: [{ port: 'http', protocol: 'TCP' }] }] : []);
        const [metrics, grpc] = (policy.ingress as Array<{ from?: object[]; ports?: unknown }>).filter(
          (rule) => rule.from,
        );
        expect(metrics?.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
        expect(metrics?.from?.length).toBeGreaterThan(0);
        expect(metrics?.from?.some(isReleasePeer)).toBe(false);
        expect(grpc?.ports).toEqual([{ port: 'grpc', protocol: 'TCP' }]);
        expect(grpc?.from?.every(isReleasePeer)).toBe(true);
      }
      // Every egress rule names its ports: no rule opens every port.
      for (const rule of policy.egress) expect(rule.ports.length).toBeGreaterThan(0);
      const egressPorts = (policy.egress as Array<{ ports: Array<{ port: number }> }>).flatMap((r) =>
        r.ports.map((p) => p.port),
      );
      expect(egressPorts).toEqual(expect.arrayContaining([53, 9092, 27017, 443]));
      expect(egressPorts.includes(4318)).toBe(production); // the OTel collector only when an endpoint is set
    }
  });

  it("points ingest's web console at compliance (gRPC), annotation-router and campaigns (http), and opens only those paths", () => {
    const env = Object.fromEntries(
      (container('ingest').env as Array<{ name: string; value?: string }>).map((entry) => [
        entry.name,
        entry.value,
      ]),
    );
    expect(env['ANNOTATION_ROUTER_URL']).toBe('http://aperture-annotation-router:8084');
    expect(env['CAMPAIGNS_URL']).toBe('http://aperture-campaigns:8085');
    expect(env['COMPLIANCE_GRPC_ADDRESS']).toBe('aperture-compliance:50054');
    const component = (service: string) => ({
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/name': 'aperture',
          'app.kubernetes.io/instance': 'aperture',
          'app.kubernetes.io/component': service,
        },
      },
    });
    const ingestEgress = find(objects, 'NetworkPolicy', name('ingest'))['spec'].egress;
    for (const [neighbour, port] of [
      ['annotation-router', 8084],
      ['campaigns', 8085],
    ] as const) {
      expect(find(objects, 'NetworkPolicy', name(neighbour))['spec'].ingress).toContainEqual({
        ports: [{ port: 'http', protocol: 'TCP' }],
        from: [component('ingest')],
      });
      expect(ingestEgress).toContainEqual({ to: [component(neighbour)], ports: [{ port, protocol: 'TCP' }] });
    }
    // No other service gets the http path.
    for (const service of SERVICES.filter((s) => s !== 'annotation-router' && s !== 'campaigns'))
      expect(JSON.stringify(find(objects, 'NetworkPolicy', name(service))['spec'].ingress)).not.toContain(
        '"app.kubernetes.io/component":"ingest"',
      );
  });

  it('creates every topic of the contracts in a pre-install/pre-upgrade hook Job, the curated one compacted', () => {
    const job = find(objects, 'Job', 'aperture-topics');
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const topics = topicSettings(objects);
    expect([...topics.keys()].sort()).toEqual([...contractTopics().all].sort());
    expect(topics.get('aperture.image.curated.v1')).toMatchObject({ cleanupPolicy: 'compact' });
    expect(topics.get('aperture.image.ingested.v1')).toMatchObject({ cleanupPolicy: 'delete' });
    const script = job['spec'].template.spec.containers[0].args[0] as string;
    expect(script).toContain('--create --if-not-exists');
    expect(script).toContain('kafka-configs.sh');
    expect(job['spec'].template.spec.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });

  it('takes credentials from the chart-made Secret, or from existingSecret when it is set', () => {
    const secretName = production ? 'aperture-prod-credentials' : 'aperture-credentials';
    const secrets = ofKind(objects, 'Secret');
    if (production) {
      expect(secrets).toEqual([]); // existingSecret: the chart makes none
    } else {
      expect(secrets.map((s) => s.metadata.name)).toEqual([secretName]);
      expect(Object.keys(secrets[0]!['stringData'] as object).sort()).toEqual([
        'ADMIN_TOKEN',
        'APERTURE_SERVICE_TOKEN',
        'MONGODB_URI',
      ]);
      const data = secrets[0]!['stringData'] as { ADMIN_TOKEN: string; APERTURE_SERVICE_TOKEN: string };
      expect(data.ADMIN_TOKEN).toMatch(/^.{32}$/);
      expect(data.APERTURE_SERVICE_TOKEN).toMatch(/^[A-Za-z0-9]{48}$/);
    }
    for (const service of SERVICES) {
      const refs = (
        container(service).env as Array<{
          name: string;
          valueFrom?: { secretKeyRef?: { name: string; key: string } };
        }>
      )
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => [e.name, e.valueFrom!.secretKeyRef!.name]);
      expect(refs.length).toBeGreaterThanOrEqual(3);
      for (const [, ref] of refs) expect(ref).toBe(secretName);
      expect(refs.some(([n]) => n === 'ADMIN_TOKEN')).toBe(service === 'ingest');
      // Every service holds the service identity: internal calls carry it, every gRPC server checks it.
      expect(refs.some(([n]) => n === 'APERTURE_SERVICE_TOKEN')).toBe(true);
    }
  });
});

describe('existingSecret', () => {
  it('is the Secret every service reads, and the chart then renders none', () => {
    const objects = render([{ secrets: { existingSecret: 'my-credentials' } }]);
    expect(ofKind(objects, 'Secret')).toEqual([]);
    const names = new Set(
      ofKind(objects, 'Deployment').flatMap((d) =>
        (
          d['spec'].template.spec.containers[0].env as Array<{
            valueFrom?: { secretKeyRef?: { name: string } };
          }>
        )
          .filter((e) => e.valueFrom?.secretKeyRef)
          .map((e) => e.valueFrom!.secretKeyRef!.name),
      ),
    );
    expect([...names]).toEqual(['my-credentials']);
  });
});

describe('values the chart refuses, with a message naming the problem', () => {
  const refused = (values: object) => {
    const result = template([values]);
    expect(result.status).not.toBe(0);
    return result.stderr;
  };

  it('a number given as a word', () => {
    expect(refused({ services: { quality: { replicas: 'two' } } })).toMatch(
      /\/services\/quality\/replicas.*got string, want integer/,
    );
  });

  it('an unknown key under a service (a typo would otherwise do nothing)', () => {
    expect(refused({ services: { standardize: { replcas: 3 } } })).toMatch(
      /\/services\/standardize.*additional properties 'replcas' not allowed/,
    );
  });

  it('an unknown service name', () => {
    expect(refused({ services: { qualty: { enabled: true } } })).toMatch(
      /additional properties 'qualty' not allowed/,
    );
  });

  it('a value outside its enum or range', () => {
    expect(refused({ logLevel: 'verbose' })).toMatch(/\/logLevel/);
    expect(
      refused({ services: { compliance: { autoscaling: { targetCPUUtilizationPercentage: 150 } } } }),
    ).toMatch(/targetCPUUtilizationPercentage.*maximum/);
  });

  it('a broker without a port', () => {
    expect(refused({ kafka: { brokers: ['kafka'] } })).toMatch(/\/kafka\/brokers\/0/);
  });

  it('KEDA allowed more replicas than the input topic has partitions', () => {
    const stderr = refused({
      topics: { partitions: 6 },
      services: { quality: { keda: { enabled: true }, autoscaling: { maxReplicas: 8 } } },
    });
    expect(stderr).toContain(
      'services.quality.autoscaling.maxReplicas is 8 but its input topic aperture.image.ingested.v1 has 6 partitions',
    );
  });

  it('an HPA allowed more replicas than the input topic has partitions (a topic override counts)', () => {
    const stderr = refused({
      topics: { overrides: { 'aperture.image.cleared.v1': { partitions: 3 } } },
    });
    expect(stderr).toContain('services.annotation-router.autoscaling.maxReplicas is 4');
    expect(stderr).toContain('aperture.image.cleared.v1 has 3 partitions');
  });

  it('fixed replicas above the partitions', () => {
    const stderr = refused({
      topics: { partitions: 2 },
      services: Object.fromEntries(
        ['quality', 'standardize', 'compliance', 'annotation-router'].map((s) => [
          s,
          { replicas: 3, autoscaling: { enabled: false } },
        ]),
      ),
    });
    expect(stderr).toMatch(/services\.\w[\w-]*\.replicas is 3 but its input topic .* has 2 partitions/);
  });

  it('KEDA on ingest, which consumes no topic', () => {
    expect(refused({ services: { ingest: { keda: { enabled: true } } } })).toContain(
      'services.ingest.keda.enabled: ingest consumes no Kafka topic',
    );
  });

  it('minReplicas above maxReplicas', () => {
    expect(refused({ services: { ingest: { autoscaling: { minReplicas: 7, maxReplicas: 6 } } } })).toContain(
      'minReplicas (7) is above maxReplicas (6)',
    );
  });

  it('while the same values with the ceiling respected render', () => {
    const objects = render([
      {
        topics: { partitions: 8 },
        services: { quality: { keda: { enabled: true }, autoscaling: { maxReplicas: 8 } } },
      },
    ]);
    expect(find(objects, 'ScaledObject', 'aperture-quality')['spec'].maxReplicaCount).toBe(8);
    expect(
      objects.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'aperture-quality'),
    ).toBe(false);
  });
});

describe('the schema check itself (kubeconform -strict on the generated schemas)', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render([productionValues]);
  });
  const mutated = (kind: string, name: string, change: (o: K8sObject) => void): string => {
    const copy = structuredClone(find(objects, kind, name));
    change(copy);
    return YAML.stringify(copy);
  };
  const problems = (text: string) => {
    const result = validate(text);
    expect(result.status).not.toBe(0);
    expect(result.summary.invalid).toBe(1);
    return result.problems.join('\n');
  };

  it('accepts the objects as rendered (the control)', () => {
    expect(validate(YAML.stringify(find(objects, 'Deployment', 'aperture-quality'))).status).toBe(0);
  });

  it('rejects a misspelled field in a pod spec', () => {
    const text = mutated('Deployment', 'aperture-quality', (d) => {
      const spec = d['spec'].template.spec;
      spec.containres = spec.containers;
    });
    expect(problems(text)).toContain("additional properties 'containres' not allowed");
  });

  it('rejects a misspelled field inside a container', () => {
    const text = mutated('Deployment', 'aperture-quality', (d) => {
      const c = d['spec'].template.spec.containers[0];
      c.resoruces = c.resources;
      delete c.resources;
    });
    expect(problems(text)).toContain("additional properties 'resoruces' not allowed");
  });

  it('rejects a missing required field', () => {
    const text = mutated('Deployment', 'aperture-quality', (d) => {
      delete d['spec'].selector;
    });
    expect(problems(text)).toContain("missing property 'selector'");
    const noName = mutated('Service', 'aperture-ingest', (s) => {
      delete s['spec'].ports[0].port;
    });
    expect(problems(noName)).toContain("missing property 'port'");
  });

  it('rejects a wrong type', () => {
    const text = mutated('HorizontalPodAutoscaler', 'aperture-ingest', (h) => {
      h['spec'].maxReplicas = 'twelve';
    });
    expect(problems(text)).toMatch(/maxReplicas.*want integer/);
  });

  it('rejects a bad ScaledObject: misspelled trigger field, missing scale target, misspelled metadata', () => {
    const text = mutated('ScaledObject', 'aperture-quality', (s) => {
      s['spec'].triggers[0].metdata = s['spec'].triggers[0].metadata;
      delete s['spec'].triggers[0].metadata;
      delete s['spec'].scaleTargetRef;
      (s.metadata as Record<string, unknown>)['lables'] = {};
    });
    const found = problems(text);
    expect(found).toContain("additional properties 'metdata' not allowed");
    expect(found).toContain("missing property 'scaleTargetRef'");
    expect(found).toContain("additional properties 'lables' not allowed");
  });

  it('rejects an object of a kind it has no schema for', () => {
    const result = validate('apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
    expect(result.status).not.toBe(0);
    expect(result.problems.join()).toContain('could not find schema for Widget');
  });
});
