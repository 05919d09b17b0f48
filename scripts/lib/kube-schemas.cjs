// Writes strict, standalone JSON schemas for kubeconform from two offline sources:
//   - the Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json of the k8s.io/kubernetes
//     Go module), one file per kind that has x-kubernetes-group-version-kind;
//   - CustomResourceDefinition files (KEDA's config/crd/bases/*.yaml), one file per served version.
// File names follow kubeconform's template `{{ .ResourceKind }}{{ .KindSuffix }}.json`, e.g.
// deployment-apps-v1.json, service-v1.json, scaledobject-keda-v1alpha1.json.
//
// "Strict" means what the API server's strict field validation means: an object schema that lists
// its properties rejects any other key (a misspelled field), required fields stay required, and the
// two polymorphic scalars accept what the API server accepts (IntOrString: integer or string,
// Quantity: number or string). Nulls are not accepted: the chart never needs to render one.
//
// usage: node scripts/lib/kube-schemas.cjs SWAGGER_JSON OUT_DIR [CRD_YAML...]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const SPECIAL = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

/** Returns a strict copy of one schema node, walking only schema positions (never property names). */
function strict(node) {
  if (Array.isArray(node) || node === null || typeof node !== 'object') return node;
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true) {
    return { description: node.description, oneOf: [{ type: 'string' }, { type: 'integer' }] };
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'description') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, strict(s)]));
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = typeof value === 'object' ? strict(value) : value;
    } else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') {
      out[key] = value.map(strict);
    } else {
      out[key] = value;
    }
  }
  if (node.properties && !('additionalProperties' in node) && !node['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/** Names of the definitions a schema reaches through $ref, transitively. */
function reachable(schema, definitions, seen = new Set()) {
  JSON.stringify(schema, (key, value) => {
    if (key === '$ref' && typeof value === 'string') {
      const name = value.replace('#/definitions/', '');
      if (!seen.has(name)) {
        seen.add(name);
        reachable(definitions[name], definitions, seen);
      }
    }
    return value;
  });
  return seen;
}

function fileName(group, version, kind) {
  const suffix = group ? `-${group.split('.')[0]}-${version}` : `-${version}`;
  return `${kind}${suffix}.json`.toLowerCase();
}

function standalone(root, definitions) {
  const names = [...reachable(root, definitions)].sort();
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...root,
    ...(names.length > 0 && {
      definitions: Object.fromEntries(names.map((n) => [n, definitions[n]])),
    }),
  };
}

function main([swaggerPath, outDir, ...crdPaths]) {
  if (!swaggerPath || !outDir) {
    console.error('usage: kube-schemas.cjs SWAGGER_JSON OUT_DIR [CRD_YAML...]');
    process.exit(2);
  }
  const swagger = JSON.parse(fs.readFileSync(swaggerPath, 'utf8'));
  const definitions = {};
  for (const [name, def] of Object.entries(swagger.definitions))
    definitions[name] = SPECIAL[name] ?? strict(def);
  fs.mkdirSync(outDir, { recursive: true });

  let written = 0;
  const write = (name, schema) => {
    fs.writeFileSync(path.join(outDir, name), JSON.stringify(schema));
    written++;
  };
  for (const [name, def] of Object.entries(swagger.definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      write(fileName(gvk.group, gvk.version, gvk.kind), standalone(definitions[name], definitions));
    }
  }
  for (const crdPath of crdPaths) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(crdPath, 'utf8'))) {
      const crd = doc.toJS();
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions) {
        const schema = strict(version.schema.openAPIV3Schema);
        // A CRD's own schema says only `metadata: {type: object}`: check it as the API server does.
        schema.properties.metadata = { $ref: `#/definitions/${OBJECT_META}` };
        write(fileName(crd.spec.group, version.name, crd.spec.names.kind), standalone(schema, definitions));
      }
    }
  }
  console.log(`wrote ${written} schemas to ${outDir}`);
}

main(process.argv.slice(2));
