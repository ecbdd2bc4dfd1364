// A webhook receiver that checks every delivery's signature with the reference Standard Webhooks
// verifier (npm standardwebhooks 1.1.1), for the WebhookReceiver fixture of AgentMessage.Testing.
//
// Usage: node webhook-receiver.mjs [module-root]
//   module-root  folder whose node_modules holds standardwebhooks (default: the working directory)
//
// Listens on 127.0.0.1 only, on a free port. Prints exactly one line "WEBHOOK RECEIVER listening
// port=PORT" on stdout once it listens; diagnostics go to stderr. Exits on SIGTERM and SIGINT (it is
// started through ChildProcess's wrapper, whose watcher sends SIGTERM when its starter ends).
//
// Deliveries: any method on /hooks/{name}
//   The request is recorded with: name, sequence (per name, from 1), method, webhook-id,
//   webhook-timestamp (a number, null unless digits; timestampHeader as sent), webhook-signature,
//   every header (lower-case names), the raw body as a string, the body parsed as JSON (null when it
//   is not JSON), the arrival time (receivedAtMs, Unix ms), and for EACH secret configured for the
//   name, in order, whether `new Webhook(secret).verify(body, headers)` passed and its error message
//   (verifiedBy, verifyErrors), so a test can prove that both signatures verify during a rotation.
//   The verifier refuses timestamps more than 5 minutes away from this machine's clock.
//   The answer comes from the name's queue of answers, one per request, then from its default answer
//   (204 with no body when none is configured). An answer is
//     {status, delayMs?, bodyBytes?, location?, timeout?}
//   status: any HTTP status; delayMs: wait before answering; bodyBytes: a text/plain body of that
//   many 'x' bytes; location: the Location header (for a 3xx); timeout: true never answers, the
//   request is held until the client closes the connection (or, with delayMs, the connection is
//   destroyed unanswered after delayMs). A queue entry may also be written as a bare status number
//   or the string "timeout".
//   A name never configured is answered 404 and recorded all the same (known: false).
//   Each record also says how it was answered (answeredStatus, null while held or when never
//   answered), whether the client closed the connection before the answer (clientClosed), and
//   whether the receiver dropped it unanswered (dropped: a timeout answer with delayMs).
//
// Control API (JSON in and out; errors are {"error": "..."} with 400 or 404)
//   PUT    /control/{name}            {secrets: ["whsec_..."], answers?: [...], default?: answer}
//                                     replaces the name's configuration (not its records)
//   GET    /control/{name}            the configuration and the answers still queued
//   GET    /control/{name}/received   the records of the name, oldest first
//   DELETE /control/{name}/received   forgets them (sequence numbers keep counting)

import { fstatSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'

function fail(message, code = 1) {
  process.stderr.write(`webhook-receiver.mjs: ${message}\n`)
  process.exit(code)
}

const moduleRoot = path.resolve(process.argv[2] || process.cwd())
let Webhook
try {
  ;({ Webhook } = createRequire(path.join(moduleRoot, 'package.json'))('standardwebhooks'))
} catch (error) {
  fail(
    `cannot load standardwebhooks from ${moduleRoot}/node_modules (${error.code ?? error.message}): ` +
      "run 'npm ci' (or 'bash .ci/test') at the repository root",
    3
  )
}

const HOST = '127.0.0.1'
const DEFAULT_ANSWER = Object.freeze({ status: 204, delayMs: 0, bodyBytes: 0, location: null, timeout: false })

class HttpError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

/** name -> {configured, secrets, answers, defaultAnswer, records, sequence} */
const endpoints = new Map()

function endpoint(name) {
  let found = endpoints.get(name)
  if (!found) {
    found = { configured: false, secrets: [], answers: [], defaultAnswer: DEFAULT_ANSWER, records: [], sequence: 0 }
    endpoints.set(name, found)
  }
  return found
}

function parseAnswer(value, where) {
  if (typeof value === 'number') {
    value = { status: value }
  } else if (value === 'timeout') {
    value = { timeout: true }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, `${where}: an answer is an object, a status number or "timeout"`)
  }
  const answer = { ...DEFAULT_ANSWER }
  if (value.timeout !== undefined && value.timeout !== null) {
    if (typeof value.timeout !== 'boolean') {
      throw new HttpError(400, `${where}.timeout must be a boolean`)
    }
    answer.timeout = value.timeout
  }
  if (value.status !== undefined && value.status !== null) {
    if (!Number.isInteger(value.status) || value.status < 100 || value.status > 599) {
      throw new HttpError(400, `${where}.status must be an integer from 100 to 599`)
    }
    answer.status = value.status
  }
  for (const key of ['delayMs', 'bodyBytes']) {
    if (value[key] !== undefined && value[key] !== null) {
      if (!Number.isInteger(value[key]) || value[key] < 0 || value[key] > 64 * 1024 * 1024) {
        throw new HttpError(400, `${where}.${key} must be an integer from 0 to 67108864`)
      }
      answer[key] = value[key]
    }
  }
  if (value.location !== undefined && value.location !== null) {
    if (typeof value.location !== 'string') {
      throw new HttpError(400, `${where}.location must be a string`)
    }
    answer.location = value.location
  }
  return answer
}

function configure(name, body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be {secrets, answers?, default?}')
  }
  const secrets = body.secrets ?? []
  if (!Array.isArray(secrets) || secrets.some((secret) => typeof secret !== 'string')) {
    throw new HttpError(400, 'secrets must be an array of strings')
  }
  secrets.forEach((secret, index) => {
    try {
      new Webhook(secret)
    } catch (error) {
      throw new HttpError(400, `secrets[${index}] is not a usable secret: ${error.message}`)
    }
  })
  const answers = body.answers ?? []
  if (!Array.isArray(answers)) {
    throw new HttpError(400, 'answers must be an array')
  }
  const parsed = answers.map((answer, index) => parseAnswer(answer, `answers[${index}]`))
  const defaultAnswer = body.default == null ? DEFAULT_ANSWER : parseAnswer(body.default, 'default')
  Object.assign(endpoint(name), { configured: true, secrets: [...secrets], answers: parsed, defaultAnswer })
  return describe(name)
}

function describe(name) {
  const found = endpoints.get(name)
  if (!found?.configured) {
    throw new HttpError(404, `no endpoint ${name} is configured`)
  }
  return { name, secrets: found.secrets, answers: found.answers, default: found.defaultAnswer }
}

function verifyAll(secrets, body, headers) {
  const verifiedBy = []
  const verifyErrors = []
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(body, headers, { jsonParse: false })
      verifiedBy.push(true)
      verifyErrors.push(null)
    } catch (error) {
      verifiedBy.push(false)
      verifyErrors.push(error.message)
    }
  }
  return { verifiedBy, verifyErrors }
}

async function readBody(req) {
  const chunks = []
  for await (const chunk of req) {
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

async function deliver(req, res, name) {
  const receivedAtMs = Date.now()
  const body = await readBody(req)
  const found = endpoint(name)
  const header = (key) => (typeof req.headers[key] === 'string' ? req.headers[key] : null)
  let json = null
  try {
    json = body === '' ? null : JSON.parse(body)
  } catch {
    json = null
  }
  const record = {
    name,
    sequence: ++found.sequence,
    known: found.configured,
    method: req.method,
    webhookId: header('webhook-id'),
    timestamp: /^\d{1,15}$/.test(header('webhook-timestamp') ?? '') ? Number(header('webhook-timestamp')) : null,
    timestampHeader: header('webhook-timestamp'),
    signatureHeader: header('webhook-signature'),
    headers: { ...req.headers },
    body,
    json,
    ...verifyAll(found.secrets, body, req.headers),
    receivedAtMs,
    answeredStatus: null,
    clientClosed: false,
    dropped: false,
  }
  found.records.push(record)

  const answer = found.configured ? (found.answers.shift() ?? found.defaultAnswer) : { ...DEFAULT_ANSWER, status: 404 }
  let answered = false
  res.once('close', () => {
    if (!record.dropped && (!answered || !res.writableFinished)) {
      record.clientClosed = true
    }
  })
  if (answer.timeout) {
    if (answer.delayMs > 0) {
      setTimeout(() => {
        if (!record.clientClosed) {
          record.dropped = true
          res.destroy()
        }
      }, answer.delayMs)
    }
    return
  }
  if (answer.delayMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
  }
  if (res.destroyed || record.clientClosed) {
    return
  }
  const headers = { 'Content-Length': answer.bodyBytes }
  if (answer.bodyBytes > 0) {
    headers['Content-Type'] = 'text/plain'
  }
  if (answer.location !== null) {
    headers.Location = answer.location
  }
  answered = true
  record.answeredStatus = answer.status
  res.writeHead(answer.status, headers)
  res.end(answer.bodyBytes > 0 ? Buffer.alloc(answer.bodyBytes, 'x') : undefined)
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${HOST}`)
  const respond = (status, value) => {
    const json = JSON.stringify(value ?? null)
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) })
    res.end(json)
  }
  try {
    const segments = url.pathname.split('/').slice(1).map((segment) => decodeURIComponent(segment))
    if (segments[0] === 'hooks' && segments.length === 2 && segments[1] !== '') {
      await deliver(req, res, segments[1])
      return
    }
    if (segments[0] !== 'control' || segments.length < 2 || segments[1] === '') {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`)
    }
    const name = segments[1]
    const text = await readBody(req)
    let body = null
    if (text !== '') {
      try {
        body = JSON.parse(text)
      } catch {
        throw new HttpError(400, 'the body is not JSON')
      }
    }
    const route = `${req.method} ${segments.slice(2).join('/')}`
    if (segments.length === 2 && route === 'PUT ') {
      respond(200, configure(name, body))
    } else if (segments.length === 2 && route === 'GET ') {
      respond(200, describe(name))
    } else if (segments.length === 3 && route === 'GET received') {
      respond(200, endpoints.get(name)?.records ?? [])
    } else if (segments.length === 3 && route === 'DELETE received') {
      const found = endpoints.get(name)
      const cleared = found?.records.length ?? 0
      if (found) {
        found.records = []
      }
      respond(200, { cleared })
    } else {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`)
    }
  } catch (error) {
    if (!(error instanceof HttpError)) {
      process.stderr.write(`webhook-receiver.mjs: ${req.method} ${url.pathname}: ${error.stack ?? error}\n`)
    }
    if (!res.headersSent && !res.destroyed) {
      respond(error.status ?? 500, { error: error.message })
    }
  }
})

// Held requests may stay open for as long as the client waits.
server.requestTimeout = 0
server.headersTimeout = 60_000

let stopping = false
function stop() {
  if (stopping) {
    return
  }
  stopping = true
  setTimeout(() => process.exit(0), 2000).unref()
  server.close(() => process.exit(0))
  server.closeAllConnections?.()
}

process.on('SIGTERM', stop)
process.on('SIGINT', stop)
const stdin = fstatSync(0)
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}

try {
  const port = await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, HOST, () => resolve(server.address().port))
  })
  if (!stopping) {
    process.stdout.write(`WEBHOOK RECEIVER listening port=${port}\n`)
  }
} catch (error) {
  fail(`could not start: ${error.stack ?? error}`)
}
