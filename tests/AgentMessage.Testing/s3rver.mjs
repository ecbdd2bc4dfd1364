// Starts @20minutes/s3rver (a fake S3 that checks SigV4 signatures, presigned URLs included) for the
// S3Server fixture of AgentMessage.Testing.
//
// Usage: node s3rver.mjs <port> <data-directory> <bucket> [module-root]
//   port            loopback port to listen on, 0 for a free one
//   data-directory  where objects are stored (created if missing)
//   bucket          a bucket created before the server answers
//   module-root     folder whose node_modules holds @20minutes/s3rver (default: the working directory)
//
// Listens on 127.0.0.1 only, path-style buckets, silent. Credentials are s3rver's built-in account:
// access key S3RVER, secret S3RVER. Prints exactly one line "READY <port>" on stdout once it listens;
// errors go to stderr. Exits on SIGTERM and on SIGINT; it is started through ChildProcess's wrapper,
// whose watcher sends SIGTERM when the process that started it ends, however that one ends.
//
// s3rver 5.0.0 declares Node >= 24 but runs on Node 20 when loaded like this (its CLI is not used).

import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'

function fail(message, code = 1) {
  process.stderr.write(`s3rver.mjs: ${message}\n`)
  process.exit(code)
}

const [portArg, directoryArg, bucket, moduleRootArg] = process.argv.slice(2)
if (portArg === undefined || !directoryArg || !bucket) {
  fail('usage: node s3rver.mjs <port> <data-directory> <bucket> [module-root]', 2)
}

const port = Number(portArg)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`invalid port: ${portArg}`, 2)
}

const moduleRoot = path.resolve(moduleRootArg || process.cwd())
let S3rver
try {
  S3rver = createRequire(path.join(moduleRoot, 'package.json'))('@20minutes/s3rver')
} catch (error) {
  fail(
    `cannot load @20minutes/s3rver from ${moduleRoot}/node_modules (${error.code ?? error.message}): ` +
      "run 'npm ci' (or 'bash .ci/test') at the repository root",
    3
  )
}

const directory = path.resolve(directoryArg)
mkdirSync(directory, { recursive: true })

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  // Buckets are addressed path-style (http://127.0.0.1:PORT/bucket/key); never guess a bucket from the host.
  vhostBuckets: false,
  configureBuckets: [{ name: bucket }],
})

let stopping = false
function stop(exitCode) {
  if (stopping) {
    return
  }
  stopping = true
  const httpServer = server.httpServer
  if (!httpServer) {
    process.exit(exitCode)
  }
  // Do not wait for idle keep-alive connections; leave anyway if closing hangs.
  setTimeout(() => process.exit(exitCode), 2000).unref()
  httpServer.close(() => process.exit(exitCode))
  httpServer.closeAllConnections?.()
}

process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))

try {
  const address = await server.run()
  if (!stopping) {
    process.stdout.write(`READY ${address.port}\n`)
  }
} catch (error) {
  fail(`could not start: ${error.stack ?? error}`, error.code === 'EADDRINUSE' ? 98 : 1)
}
