// A test SMSC (SMPP 3.4 message centre) on node-smpp 0.5.1, driven over a small HTTP control API, for
// the SmscServer fixture of AgentMessage.Testing (tests and the load tool).
//
// Usage: node smsc.mjs [module-root]
//   module-root  folder whose node_modules holds smpp (default: the working directory)
//
// Environment (all optional; the test fixture sets none, deploy/compose.yaml runs it as a standalone SMSC):
//   SMSC_HOST                       address to listen on (default 127.0.0.1)
//   SMSC_SMPP_PORT, SMSC_CONTROL_PORT   ports (default 0: free ones)
//   SMSC_SYSTEM_ID, SMSC_PASSWORD   the account (default agentmessage/secret)
//   SMSC_RECEIPTS                   receipt settings as JSON (as for PUT /receipts), e.g. {"delayMs":500}
// These are also what POST /reset returns to.
//
// Listens on 127.0.0.1 unless told otherwise: SMPP on a free port, the control API on another. Prints exactly one line
// "SMSC listening smpp=PORT control=PORT" on stdout once both listen; diagnostics go to stderr. Exits on
// SIGTERM and SIGINT, and when its standard input closes if that is a pipe (under ChildProcess's wrapper
// it is /dev/null and the wrapper's watcher sends SIGTERM instead).
//
// SMPP behaviour
//   bind_transmitter/receiver/transceiver: checked against one account (default agentmessage/secret);
//     an unknown system_id is ESME_RINVSYSID (0x0F), a wrong password ESME_RINVPASWD (0x0E), a second
//     bind ESME_RALYBND (0x05); the connection stays open after a refusal. Each connection is a
//     session numbered from 1 (numbers are never reused while the process runs).
//   submit_sm: ESME_RINVBNDSTS (0x04) unless bound as transmitter or transceiver; a body that does not
//     fit its command_length is ESME_RINVCMDLEN (0x02), an sm_length past the end ESME_RINVMSGLEN
//     (0x01), a broken TLV stream ESME_RINVTLVSTREAM (0xC0). Otherwise the first matching rule decides;
//     with none, status 0 at once with a message_id from a counter (8 upper-case hex digits by default).
//     Every submit_sm is recorded (unless record is false) and counted.
//   enquire_link is answered; unbind is answered with unbind_resp and the connection closed.
//   An unknown command_id gets generic_nack ESME_RINVCMDID (0x03) with its sequence; so does any other
//     request this SMSC does not implement (query_sm, data_sm, replace_sm, ...).
//   A command_length below 16 or above node-smpp's 16384, or a PDU node-smpp cannot parse, gets
//     generic_nack ESME_RINVCMDLEN (sequence 0 when unknown) and the connection is closed: the stream
//     cannot be trusted after it, and node-smpp stops reading that session anyway.
//
// Control API (JSON in and out; errors are {"error": "..."} with 400 or 404)
//   GET    /sessions                 every open connection: index, bound, bindType, systemId, ...
//   PUT    /account                  {systemId, password}
//   PUT    /options                  {record?, messageIdFormat?: hex|decimal|uuid, nextMessageId?}
//   GET    /rules | POST /rules | DELETE /rules
//          rule: {match: "*"|destination_addr, action: respond|noResponse|close, commandStatus, delayMs,
//                 count: N|null (null: for ever), receipts?: receipt settings for submits it answers}
//   PUT    /receipts                 receipt settings, or null for none:
//          {enabled, delayMs, session: "same"|"other"|index, stat, err, form: tlv|text,
//           idForm: asIs|lower|stripLeadingZeros|padLeadingZeros|decimal, onlyWhenRequested}
//   GET    /submits?since=N | DELETE /submits     recorded submit_sm (since: skip the first N)
//   GET    /events?since=SEQ | DELETE /events     the event log (since: events after that seq)
//   GET    /stats
//   POST   /reset                    account, options, rules, receipts, records, events, stats to defaults
//   POST   /deliver_sm               {session?, sourceAddr, destinationAddr, ..., shortMessageHex | text +
//                                     encoding (gsm|latin1|ucs2), tlvs: [{tag, valueHex}], timeoutMs}
//   POST   /enquire_link             {session?, timeoutMs}
//   POST   /unbind                   {session?, timeoutMs}   the connection is closed afterwards
//   POST   /raw                      {session?, hex, timeoutMs} writes the bytes, reports the first
//                                     response PDU that is not an answer to a request of ours, or the close
//   POST   /drop                     destroys every connection at once
//   Requests to a session answer {session, answered, commandId, commandStatus, sequence, closed,
//   elapsedMs, messageId}; without "session" they go to the newest bound session (able to receive, for
//   deliver_sm).

import { randomUUID } from 'node:crypto'
import { fstatSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import process from 'node:process'

function fail(message, code = 1) {
  process.stderr.write(`smsc.mjs: ${message}\n`)
  process.exit(code)
}

const moduleRoot = path.resolve(process.argv[2] || process.cwd())
let smpp
try {
  smpp = createRequire(path.join(moduleRoot, 'package.json'))('smpp')
} catch (error) {
  fail(
    `cannot load smpp from ${moduleRoot}/node_modules (${error.code ?? error.message}): ` +
      "run 'npm ci' (or 'bash .ci/test') at the repository root",
    3
  )
}

const HOST = process.env.SMSC_HOST || '127.0.0.1'
const SMSC_SYSTEM_ID = 'AgentMessageSMSC'
const HEADER_LENGTH = 16
const MAX_EVENTS = 100_000

const COMMAND = {
  generic_nack: 0x80000000,
  submit_sm_resp: 0x80000004,
  deliver_sm: 0x00000005,
  unbind: 0x00000006,
  enquire_link: 0x00000015,
}

const STATUS = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVCMDLEN: 0x02,
  RINVCMDID: 0x03,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RINVTLVSTREAM: 0xc0,
}

// message_state (TLV 0x0427) of each receipt "stat:" word.
const MESSAGE_STATE = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 }

const TLV_RECEIPTED_MESSAGE_ID = 0x001e
const TLV_MESSAGE_STATE = 0x0427
const TLV_SC_INTERFACE_VERSION = 0x0210

// ---------------------------------------------------------------------------------------------------
// Framing. node-smpp reads command_length, then the rest of the PDU, and parses it. A command_length of
// 0 or 4 makes it wait for ever; 8 to 15 throw RangeError inside its parser; above 16384 it throws; in
// every case the session is left wedged (its reader stays busy) and the socket is never closed. It keeps
// no copy of the bytes either. These two replacements turn every framing problem into a FramingError,
// answered in onSessionError, and keep each PDU's bytes as pdu.bytes so submits are recorded exactly as
// they were sent.

class FramingError extends Error {
  constructor(message, sequence = 0) {
    super(message)
    this.sequence = sequence
  }
}

const readCommandLength = smpp.PDU.commandLength
smpp.PDU.commandLength = function (stream) {
  let length
  try {
    length = readCommandLength(stream)
  } catch (error) {
    throw new FramingError(error.message)
  }
  if (length !== false && length < HEADER_LENGTH) {
    throw new FramingError(`command_length ${length} is shorter than the ${HEADER_LENGTH}-byte header`)
  }
  return length
}

smpp.PDU.fromStream = function (stream, commandLength) {
  const rest = stream.read(commandLength - 4)
  if (!rest) {
    return false
  }
  const bytes = Buffer.allocUnsafe(commandLength)
  bytes.writeUInt32BE(commandLength, 0)
  rest.copy(bytes, 4)
  let pdu
  try {
    pdu = new smpp.PDU(bytes)
  } catch (error) {
    const id = bytes.readUInt32BE(4).toString(16).padStart(8, '0')
    throw new FramingError(`node-smpp cannot parse command_id 0x${id}: ${error.message}`, bytes.readUInt32BE(12))
  }
  pdu.bytes = bytes
  return pdu
}

// ---------------------------------------------------------------------------------------------------
// State

// Defaults taken from the environment at start (see the header); read once all functions exist.
const environmentDefaults = { account: null, receipts: null }

function defaultSettings() {
  return {
    account: environmentDefaults.account ?? { systemId: 'agentmessage', password: 'secret' },
    record: true,
    messageIdFormat: 'hex',
    receipts: environmentDefaults.receipts,
    rules: [],
  }
}

function freshStats() {
  return { submits: 0, byStatus: {}, bySession: {}, receiptsSent: 0, receiptsAnswered: 0, eventsDropped: 0 }
}

let settings = defaultSettings()
let stats = freshStats()
let submits = []
let events = []
let eventSeq = 0
let nextRuleId = 1
// Never reset: a message_id stays unique for the life of the process, whatever the tests clear.
let nextMessageId = 1
let nextSessionIndex = 1
const connections = new Map()

function log(type, fields) {
  events.push({ seq: ++eventSeq, time: new Date().toISOString(), type, ...fields })
  if (events.length > MAX_EVENTS) {
    events.splice(0, events.length - MAX_EVENTS)
    stats.eventsDropped++
  }
}

function newMessageId() {
  const n = nextMessageId++
  switch (settings.messageIdFormat) {
    case 'decimal':
      return String(n)
    case 'uuid':
      return randomUUID()
    default:
      return (n % 0x100000000).toString(16).toUpperCase().padStart(8, '0')
  }
}

// ---------------------------------------------------------------------------------------------------
// PDU bytes: submit_sm is decoded here from pdu.bytes (exact, with every TLV); deliver_sm is encoded here
// (any TLV tag, any bytes), not through node-smpp's named fields.

function encodePdu(commandId, commandStatus, sequence, body) {
  const header = Buffer.allocUnsafe(HEADER_LENGTH)
  header.writeUInt32BE(HEADER_LENGTH + body.length, 0)
  header.writeUInt32BE(commandId >>> 0, 4)
  header.writeUInt32BE(commandStatus >>> 0, 8)
  header.writeUInt32BE(sequence >>> 0, 12)
  return Buffer.concat([header, body])
}

class BodyError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

function decodeSubmitSm(bytes) {
  const end = bytes.length
  let offset = HEADER_LENGTH
  const octet = () => {
    if (offset >= end) {
      throw new BodyError(STATUS.RINVCMDLEN, 'body ends inside the mandatory fields')
    }
    return bytes[offset++]
  }
  const cstring = () => {
    const nul = bytes.indexOf(0, offset)
    if (nul < 0 || nul >= end) {
      throw new BodyError(STATUS.RINVCMDLEN, 'a C-Octet String has no NUL before the end')
    }
    const value = bytes.toString('latin1', offset, nul)
    offset = nul + 1
    return value
  }
  const submit = {
    serviceType: cstring(),
    sourceAddrTon: octet(),
    sourceAddrNpi: octet(),
    sourceAddr: cstring(),
    destAddrTon: octet(),
    destAddrNpi: octet(),
    destinationAddr: cstring(),
    esmClass: octet(),
    protocolId: octet(),
    priorityFlag: octet(),
    scheduleDeliveryTime: cstring(),
    validityPeriod: cstring(),
    registeredDelivery: octet(),
    replaceIfPresentFlag: octet(),
    dataCoding: octet(),
    smDefaultMsgId: octet(),
  }
  const smLength = octet()
  if (offset + smLength > end) {
    throw new BodyError(STATUS.RINVMSGLEN, `sm_length ${smLength} runs past the end of the PDU`)
  }
  submit.shortMessage = bytes.subarray(offset, offset + smLength)
  offset += smLength
  submit.tlvs = []
  while (offset < end) {
    if (offset + 4 > end) {
      throw new BodyError(STATUS.RINVTLVSTREAM, 'a TLV header is cut off by the end of the PDU')
    }
    const tag = bytes.readUInt16BE(offset)
    const length = bytes.readUInt16BE(offset + 2)
    if (offset + 4 + length > end) {
      throw new BodyError(STATUS.RINVTLVSTREAM, `TLV 0x${tag.toString(16).padStart(4, '0')} length ${length} runs past the end`)
    }
    submit.tlvs.push({ tag, value: bytes.subarray(offset + 4, offset + 4 + length) })
    offset += 4 + length
  }
  return submit
}

function encodeDeliverSm(sequence, m) {
  const cstring = (value) => Buffer.from(`${value ?? ''}\0`, 'latin1')
  const octet = (value) => Buffer.of((value ?? 0) & 0xff)
  const shortMessage = m.shortMessage ?? Buffer.alloc(0)
  if (shortMessage.length > 254) {
    throw new HttpError(400, 'short_message is longer than 254 octets (use the message_payload TLV 0x0424)')
  }
  const parts = [
    cstring(m.serviceType),
    octet(m.sourceAddrTon),
    octet(m.sourceAddrNpi),
    cstring(m.sourceAddr),
    octet(m.destAddrTon),
    octet(m.destAddrNpi),
    cstring(m.destinationAddr),
    octet(m.esmClass),
    octet(m.protocolId),
    octet(m.priorityFlag),
    cstring(''), // schedule_delivery_time: unused in deliver_sm
    cstring(''), // validity_period: unused in deliver_sm
    octet(m.registeredDelivery),
    octet(0), // replace_if_present_flag: unused in deliver_sm
    octet(m.dataCoding),
    octet(0), // sm_default_msg_id: unused in deliver_sm
    octet(shortMessage.length),
    shortMessage,
  ]
  for (const { tag, value } of m.tlvs ?? []) {
    const head = Buffer.allocUnsafe(4)
    head.writeUInt16BE(tag, 0)
    head.writeUInt16BE(value.length, 2)
    parts.push(head, value)
  }
  return encodePdu(COMMAND.deliver_sm, 0, sequence, Buffer.concat(parts))
}

function encodeText(text, encoding) {
  switch (encoding ?? 'gsm') {
    case 'gsm':
      // GSM 03.38 default alphabet, one septet per octet (unpacked), as SMPP carries data_coding 0.
      return smpp.encodings.ASCII.encode(text)
    case 'latin1':
      return Buffer.from(text, 'latin1')
    case 'ucs2':
      return Buffer.from(text, 'utf16le').swap16()
    default:
      throw new HttpError(400, `unknown encoding ${encoding} (gsm, latin1, ucs2)`)
  }
}

// ---------------------------------------------------------------------------------------------------
// Sessions

// node-smpp drops the PDU (and returns false) when the socket is no longer writable: the close that
// made it so is in the event log.
function send(conn, pdu, onFlushed) {
  conn.session.send(pdu, onFlushed)
}

function nextSequence(conn) {
  // The same counter node-smpp uses for the requests it numbers itself.
  if (conn.session.sequence >= 0x7fffffff) {
    conn.session.sequence = 0
  }
  return ++conn.session.sequence
}

// Sends a request this SMSC originates and resolves with the peer's answer, the close, or the timeout
// (none when timeoutMs is null). A generic_nack with the request's sequence answers it too. receipt is
// the message_id a receipt reports, so its deliver_sm_resp can be logged with it.
function request(conn, bytes, sequence, timeoutMs, receipt = null) {
  const sentAt = performance.now()
  return new Promise((resolve) => {
    const settle = (reply) => {
      if (waiter.timer) {
        clearTimeout(waiter.timer)
      }
      conn.pending.delete(sequence)
      resolve({
        session: conn.index,
        sequence,
        elapsedMs: reply.answered ? Math.round((performance.now() - sentAt) * 1000) / 1000 : null,
        ...reply,
      })
    }
    const waiter = { settle, timer: null, receipt }
    if (timeoutMs != null) {
      waiter.timer = setTimeout(() => settle({ answered: false, closed: false }), timeoutMs)
    }
    conn.pending.set(sequence, waiter)
    if (conn.closed) {
      settle({ answered: false, closed: true })
    } else {
      conn.socket.write(bytes)
    }
  })
}

function replyOf(pdu) {
  return {
    answered: true,
    closed: false,
    commandId: pdu.command_id >>> 0,
    commandStatus: pdu.command_status >>> 0,
    sequence: pdu.sequence_number >>> 0,
    messageId: typeof pdu.message_id === 'string' ? pdu.message_id : null,
  }
}

const server = smpp.createServer((session) => {
  const conn = {
    index: nextSessionIndex++,
    session,
    socket: session.socket,
    bound: false,
    bindType: null,
    systemId: null,
    connectedAt: new Date().toISOString(),
    boundAt: null,
    remotePort: session.socket.remotePort,
    submits: 0,
    pending: new Map(),
    rawWaiters: [],
    closed: false,
  }
  connections.set(conn.index, conn)
  session.socket.setNoDelay(true)
  log('connect', { session: conn.index, detail: `127.0.0.1:${conn.remotePort}` })
  session.on('pdu', (pdu) => {
    try {
      onPdu(conn, pdu)
    } catch (error) {
      // A bug here must not take the SMSC down with every other session: say so and refuse the PDU.
      process.stderr.write(`smsc.mjs: session ${conn.index}, ${pdu.command}: ${error.stack ?? error}\n`)
      log('internal_error', { session: conn.index, sequence: pdu.sequence_number, detail: error.message })
      send(conn, new smpp.PDU('generic_nack', { command_status: STATUS.RSYSERR, sequence_number: pdu.sequence_number }))
    }
  })
  session.on('error', (error) => onSessionError(conn, error))
  session.on('close', () => onClose(conn))
})

// Sends FIN, and destroys the socket if the peer has not closed its side a second later: a peer that
// ignores the end of the session must not keep it open (and counted) for ever.
function closeGracefully(conn) {
  conn.socket.end()
  setTimeout(() => conn.socket.destroy(), 1000).unref()
}

function onSessionError(conn, error) {
  if (error instanceof FramingError) {
    log('invalid_pdu', { session: conn.index, sequence: error.sequence, detail: error.message })
    const nack = encodePdu(COMMAND.generic_nack, STATUS.RINVCMDLEN, error.sequence, Buffer.alloc(0))
    // Closed outright once the nack is out, not half-closed: nothing more from this peer can be framed.
    conn.socket.end(nack, () => conn.socket.destroy())
    return
  }
  // Socket errors (ECONNRESET, EPIPE): the close that follows is logged as the disconnect.
  log('socket_error', { session: conn.index, detail: error.message })
}

function onClose(conn) {
  conn.closed = true
  connections.delete(conn.index)
  log('disconnect', { session: conn.index })
  for (const waiter of [...conn.pending.values()]) {
    waiter.settle({ answered: false, closed: true })
  }
  for (const waiter of conn.rawWaiters.splice(0)) {
    waiter({ answered: false, closed: true })
  }
}

function onPdu(conn, pdu) {
  if (pdu.command === 'unknown') {
    log('unknown_command', { session: conn.index, commandId: pdu.command_id >>> 0, sequence: pdu.sequence_number })
    send(conn, pdu.response())
    return
  }
  if (pdu.isResponse()) {
    onResponse(conn, pdu)
    return
  }
  switch (pdu.command) {
    case 'bind_transceiver':
    case 'bind_transmitter':
    case 'bind_receiver':
      onBind(conn, pdu)
      return
    case 'submit_sm':
      onSubmitSm(conn, pdu)
      return
    case 'enquire_link':
      log('enquire_link', { session: conn.index, sequence: pdu.sequence_number })
      send(conn, pdu.response())
      return
    case 'unbind':
      log('unbind', { session: conn.index, sequence: pdu.sequence_number })
      conn.bound = false
      send(conn, pdu.response(), () => closeGracefully(conn))
      return
    default:
      log('unsupported_command', {
        session: conn.index,
        commandId: pdu.command_id >>> 0,
        sequence: pdu.sequence_number,
        detail: pdu.command,
      })
      send(conn, new smpp.PDU('generic_nack', { command_status: STATUS.RINVCMDID, sequence_number: pdu.sequence_number }))
  }
}

function onResponse(conn, pdu) {
  const fields = {
    session: conn.index,
    commandId: pdu.command_id >>> 0,
    commandStatus: pdu.command_status >>> 0,
    sequence: pdu.sequence_number,
  }
  const waiter = conn.pending.get(pdu.sequence_number)
  if (pdu.command === 'generic_nack') {
    log('generic_nack', fields)
  } else if (pdu.command === 'deliver_sm_resp') {
    if (!waiter?.receipt || settings.record) {
      log('deliver_sm_resp', { ...fields, messageId: waiter?.receipt ?? null })
    }
  } else if (pdu.command === 'enquire_link_resp' || pdu.command === 'unbind_resp') {
    log(pdu.command, fields)
  } else if (!waiter) {
    log('unexpected_response', { ...fields, detail: pdu.command })
  }
  if (waiter) {
    waiter.settle(replyOf(pdu))
  } else if (conn.rawWaiters.length > 0) {
    conn.rawWaiters.shift()(replyOf(pdu))
  }
}

function onBind(conn, pdu) {
  const bindType = pdu.command.slice('bind_'.length)
  let status = STATUS.ROK
  if (conn.bound) {
    status = STATUS.RALYBND
  } else if (pdu.system_id !== settings.account.systemId) {
    status = STATUS.RINVSYSID
  } else if (pdu.password !== settings.account.password) {
    status = STATUS.RINVPASWD
  }
  if (status === STATUS.ROK) {
    Object.assign(conn, { bound: true, bindType, systemId: pdu.system_id, boundAt: new Date().toISOString() })
    send(conn, pdu.response({ system_id: SMSC_SYSTEM_ID, sc_interface_version: 0x34 }))
  } else {
    send(conn, pdu.response({ command_status: status }))
  }
  log('bind', { session: conn.index, bindType, systemId: pdu.system_id, commandStatus: status, sequence: pdu.sequence_number })
}

function matchRule(destination) {
  for (const rule of settings.rules) {
    if (rule.remaining === 0 || (rule.match !== '*' && rule.match !== destination)) {
      continue
    }
    if (rule.remaining != null) {
      rule.remaining--
    }
    return rule
  }
  return null
}

function onSubmitSm(conn, pdu) {
  stats.submits++
  conn.submits++
  stats.bySession[conn.index] = conn.submits
  let submit = null
  let status = STATUS.ROK
  let rule = null
  let error = null
  try {
    submit = decodeSubmitSm(pdu.bytes)
  } catch (e) {
    if (!(e instanceof BodyError)) {
      throw e
    }
    status = e.status
    error = e.message
  }
  if (!conn.bound || conn.bindType === 'receiver') {
    status = STATUS.RINVBNDSTS
  } else if (submit) {
    rule = matchRule(submit.destinationAddr)
    status = rule?.commandStatus ?? STATUS.ROK
  }
  const action = rule?.action ?? 'respond'
  // Recording keeps references only; GET /submits turns them into JSON. Not recording keeps nothing.
  const record = settings.record ? { session: conn.index, bytes: pdu.bytes, submit, error, time: Date.now() } : null
  if (record) {
    submits.push(record)
  }

  if (action === 'noResponse') {
    count(null, record, 'noResponse')
    return
  }
  if (action === 'close') {
    count(null, record, 'closed')
    conn.socket.destroy()
    return
  }
  const answer = () => {
    if (conn.closed) {
      count(null, record, 'lost')
      return
    }
    const messageId = status === STATUS.ROK ? newMessageId() : null
    // Encoded here rather than with pdu.response(): a sixth of node-smpp's cost per submit, in benchmarks.
    const body = messageId ? Buffer.from(`${messageId}\0`, 'latin1') : Buffer.alloc(0)
    conn.socket.write(encodePdu(COMMAND.submit_sm_resp, status, pdu.sequence_number, body))
    count(status, record, 'answered', messageId)
    if (messageId) {
      const receipts = rule?.receipts ?? settings.receipts
      if (receipts && receipts.enabled !== false && (!receipts.onlyWhenRequested || (submit.registeredDelivery & 0x03) !== 0)) {
        setTimeout(() => sendReceipt(conn, submit, messageId, receipts), receipts.delayMs ?? 0)
      }
    }
  }
  if (rule?.delayMs > 0) {
    setTimeout(answer, rule.delayMs)
  } else {
    answer()
  }
}

function count(status, record, outcome, messageId = null) {
  if (status !== null) {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1
  }
  if (record) {
    record.outcome = outcome
    record.commandStatus = status
    record.messageId = messageId
  }
}

function submitJson({ session, bytes, submit, error, time, outcome, commandStatus, messageId }) {
  const json = {
    session,
    sequence: bytes.readUInt32BE(12),
    time: new Date(time).toISOString(),
    outcome,
    commandStatus,
    messageId,
    error,
    pduHex: error ? bytes.toString('hex').toUpperCase() : null,
  }
  if (submit) {
    const { shortMessage, tlvs, ...fields } = submit
    Object.assign(json, fields, {
      shortMessageHex: shortMessage.toString('hex').toUpperCase(),
      tlvs: tlvs.map(({ tag, value }) => ({ tag, valueHex: value.toString('hex').toUpperCase() })),
    })
  }
  return json
}

// ---------------------------------------------------------------------------------------------------
// Delivery receipts

function receiptTarget(origin, choice) {
  const canReceive = (c) => c.bound && c.bindType !== 'transmitter' && !c.closed
  const newest = (filter) => [...connections.values()].filter((c) => canReceive(c) && filter(c)).pop() ?? null
  if (choice === 'other') {
    return newest((c) => c !== origin)
  }
  if (typeof choice === 'number') {
    const c = connections.get(choice)
    return c && canReceive(c) ? c : null
  }
  // "same": the submitting session, or, when it was bound as a transmitter, the newest receiver of its account.
  return canReceive(origin) ? origin : newest((c) => c.systemId === origin.systemId)
}

function receiptId(messageId, form) {
  switch (form) {
    case 'lower':
      return messageId.toLowerCase()
    case 'stripLeadingZeros':
      return messageId.replace(/^0+(?=.)/, '')
    case 'padLeadingZeros':
      return messageId.padStart(10, '0')
    case 'decimal':
      return /^[0-9A-Fa-f]+$/.test(messageId) ? BigInt(`0x${messageId}`).toString(10) : messageId
    default:
      return messageId
  }
}

function smppDate(date) {
  const two = (n) => String(n).padStart(2, '0')
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}`
}

function sendReceipt(origin, submit, messageId, receipts) {
  const target = receiptTarget(origin, receipts.session ?? 'same')
  if (!target) {
    log('receipt_not_sent', { session: origin.index, messageId, detail: `no bound session able to receive (${receipts.session ?? 'same'})` })
    return
  }
  const id = receiptId(messageId, receipts.idForm)
  const stat = receipts.stat ?? 'DELIVRD'
  const dcs = submit.dataCoding & 0x0f
  const original = dcs === 0 || dcs === 1 || dcs === 3 ? submit.shortMessage.subarray(0, 20).toString('latin1') : ''
  const now = smppDate(new Date())
  const text =
    `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${now} done date:${now} ` +
    `stat:${stat} err:${receipts.err ?? '000'} text:${original}`
  const tlvs =
    receipts.form === 'text'
      ? []
      : [
          { tag: TLV_RECEIPTED_MESSAGE_ID, value: Buffer.from(`${id}\0`, 'latin1') },
          { tag: TLV_MESSAGE_STATE, value: Buffer.of(MESSAGE_STATE[stat] ?? MESSAGE_STATE.UNKNOWN) },
        ]
  const sequence = nextSequence(target)
  const bytes = encodeDeliverSm(sequence, {
    sourceAddrTon: submit.destAddrTon,
    sourceAddrNpi: submit.destAddrNpi,
    sourceAddr: submit.destinationAddr,
    destAddrTon: submit.sourceAddrTon,
    destAddrNpi: submit.sourceAddrNpi,
    destinationAddr: submit.sourceAddr,
    esmClass: 0x04,
    dataCoding: 0,
    shortMessage: Buffer.from(text, 'latin1'),
    tlvs,
  })
  stats.receiptsSent++
  if (settings.record) {
    log('receipt_sent', { session: target.index, sequence, messageId, detail: text })
  }
  request(target, bytes, sequence, null, messageId).then((reply) => {
    if (reply.answered) {
      stats.receiptsAnswered++
    }
  })
}

// ---------------------------------------------------------------------------------------------------
// Control API

class HttpError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

function describe(conn) {
  const { index, bound, bindType, systemId, connectedAt, boundAt, remotePort, submits: submitted } = conn
  return { index, bound, bindType, systemId, connectedAt, boundAt, remotePort, submits: submitted }
}

function pickSession(index, { receiver = false } = {}) {
  if (index != null) {
    const conn = connections.get(Number(index))
    if (!conn) {
      throw new HttpError(404, `no open session ${index}`)
    }
    return conn
  }
  const bound = [...connections.values()].filter((c) => c.bound && (!receiver || c.bindType !== 'transmitter'))
  if (bound.length === 0) {
    throw new HttpError(404, receiver ? 'no bound session able to receive' : 'no bound session')
  }
  return bound[bound.length - 1]
}

function hexBytes(hex, name) {
  if (typeof hex !== 'string' || !/^([0-9A-Fa-f]{2})*$/.test(hex)) {
    throw new HttpError(400, `${name} must be an even number of hex digits`)
  }
  return Buffer.from(hex, 'hex')
}

function number(value, name, { min = 0, max = 0xffffffff, fallback = undefined } = {}) {
  if (value == null) {
    if (fallback === undefined) {
      throw new HttpError(400, `${name} is required`)
    }
    return fallback
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `${name} must be an integer from ${min} to ${max}`)
  }
  return value
}

function oneOf(value, name, allowed, fallback) {
  if (value == null) {
    return fallback
  }
  if (!allowed.includes(value)) {
    throw new HttpError(400, `${name} must be one of ${allowed.join(', ')}`)
  }
  return value
}

function receiptSettings(body, name) {
  if (body == null) {
    return null
  }
  const session = body.session ?? 'same'
  if (session !== 'same' && session !== 'other' && !Number.isInteger(session)) {
    throw new HttpError(400, `${name}.session must be "same", "other" or a session index`)
  }
  const stat = body.stat ?? 'DELIVRD'
  if (!(stat in MESSAGE_STATE)) {
    throw new HttpError(400, `${name}.stat must be one of ${Object.keys(MESSAGE_STATE).join(', ')}`)
  }
  return {
    enabled: body.enabled !== false,
    delayMs: number(body.delayMs, `${name}.delayMs`, { fallback: 0 }),
    session,
    stat,
    err: String(body.err ?? '000'),
    form: oneOf(body.form, `${name}.form`, ['tlv', 'text'], 'tlv'),
    idForm: oneOf(body.idForm, `${name}.idForm`, ['asIs', 'lower', 'stripLeadingZeros', 'padLeadingZeros', 'decimal'], 'asIs'),
    onlyWhenRequested: body.onlyWhenRequested !== false,
  }
}

function waitForRawReply(conn, timeoutMs) {
  const sentAt = performance.now()
  return new Promise((resolve) => {
    const waiter = (reply) => {
      clearTimeout(timer)
      const elapsedMs = reply.answered ? Math.round((performance.now() - sentAt) * 1000) / 1000 : null
      resolve({ session: conn.index, elapsedMs, ...reply })
    }
    const timer = setTimeout(() => {
      conn.rawWaiters.splice(conn.rawWaiters.indexOf(waiter), 1)
      resolve({ session: conn.index, answered: false, closed: false, elapsedMs: null })
    }, timeoutMs)
    conn.rawWaiters.push(waiter)
  })
}

function defaultStats() {
  const open = [...connections.values()]
  return {
    ...stats,
    recorded: submits.length,
    connections: open.length,
    boundSessions: open.filter((c) => c.bound).length,
    nextMessageId,
  }
}

const routes = {
  'GET /sessions': () => [...connections.values()].map(describe),
  'PUT /account': (body) => {
    if (typeof body?.systemId !== 'string' || typeof body?.password !== 'string') {
      throw new HttpError(400, 'systemId and password are required strings')
    }
    settings.account = { systemId: body.systemId, password: body.password }
    return settings.account
  },
  'PUT /options': (body) => {
    if (body?.record != null) {
      settings.record = Boolean(body.record)
    }
    settings.messageIdFormat = oneOf(body?.messageIdFormat, 'messageIdFormat', ['hex', 'decimal', 'uuid'], settings.messageIdFormat)
    nextMessageId = number(body?.nextMessageId, 'nextMessageId', { min: 0, max: Number.MAX_SAFE_INTEGER, fallback: nextMessageId })
    return { record: settings.record, messageIdFormat: settings.messageIdFormat, nextMessageId }
  },
  'GET /rules': () => settings.rules,
  'POST /rules': (body) => {
    const count = body?.count == null ? null : number(body.count, 'count', { min: 1 })
    const rule = {
      id: nextRuleId++,
      match: typeof body?.match === 'string' && body.match !== '' ? body.match : '*',
      action: oneOf(body?.action, 'action', ['respond', 'noResponse', 'close'], 'respond'),
      commandStatus: number(body?.commandStatus, 'commandStatus', { fallback: 0 }),
      delayMs: number(body?.delayMs, 'delayMs', { fallback: 0 }),
      count,
      remaining: count,
      receipts: receiptSettings(body?.receipts, 'receipts'),
    }
    settings.rules.push(rule)
    return rule
  },
  'DELETE /rules': () => {
    settings.rules = []
    return {}
  },
  'PUT /receipts': (body) => {
    settings.receipts = receiptSettings(body, 'receipts')
    return settings.receipts
  },
  'GET /submits': (_, query) =>
    submits.slice(number(Number(query.get('since') ?? 0), 'since', { max: Number.MAX_SAFE_INTEGER })).map(submitJson),
  'DELETE /submits': () => {
    submits = []
    return {}
  },
  'GET /events': (_, query) => {
    const since = Number(query.get('since') ?? 0)
    return events.filter((e) => e.seq > since)
  },
  'DELETE /events': () => {
    events = []
    return {}
  },
  'GET /stats': () => defaultStats(),
  'POST /reset': () => {
    settings = defaultSettings()
    stats = freshStats()
    submits = []
    events = []
    return {}
  },
  'POST /deliver_sm': async (body) => {
    const conn = pickSession(body?.session, { receiver: true })
    let shortMessage
    if (body?.shortMessageHex != null) {
      shortMessage = hexBytes(body.shortMessageHex, 'shortMessageHex')
    } else {
      shortMessage = encodeText(String(body?.text ?? ''), body?.encoding)
    }
    const tlvs = (body?.tlvs ?? []).map((t, i) => ({
      tag: number(t?.tag, `tlvs[${i}].tag`, { max: 0xffff }),
      value: hexBytes(t?.valueHex ?? '', `tlvs[${i}].valueHex`),
    }))
    const octet = (name) => number(body?.[name], name, { max: 0xff, fallback: 0 })
    const sequence = nextSequence(conn)
    const bytes = encodeDeliverSm(sequence, {
      serviceType: String(body?.serviceType ?? ''),
      sourceAddrTon: octet('sourceAddrTon'),
      sourceAddrNpi: octet('sourceAddrNpi'),
      sourceAddr: String(body?.sourceAddr ?? ''),
      destAddrTon: octet('destAddrTon'),
      destAddrNpi: octet('destAddrNpi'),
      destinationAddr: String(body?.destinationAddr ?? ''),
      esmClass: octet('esmClass'),
      protocolId: octet('protocolId'),
      priorityFlag: octet('priorityFlag'),
      registeredDelivery: octet('registeredDelivery'),
      dataCoding: octet('dataCoding'),
      shortMessage,
      tlvs,
    })
    log('deliver_sm_sent', { session: conn.index, sequence })
    return request(conn, bytes, sequence, number(body?.timeoutMs, 'timeoutMs', { fallback: 5000 }))
  },
  'POST /enquire_link': (body) => {
    const conn = pickSession(body?.session)
    const sequence = nextSequence(conn)
    return request(conn, encodePdu(COMMAND.enquire_link, 0, sequence, Buffer.alloc(0)), sequence, number(body?.timeoutMs, 'timeoutMs', { fallback: 5000 }))
  },
  'POST /unbind': async (body) => {
    const conn = pickSession(body?.session)
    const sequence = nextSequence(conn)
    conn.bound = false
    const reply = await request(conn, encodePdu(COMMAND.unbind, 0, sequence, Buffer.alloc(0)), sequence, number(body?.timeoutMs, 'timeoutMs', { fallback: 5000 }))
    closeGracefully(conn)
    return reply
  },
  'POST /raw': (body) => {
    const conn = pickSession(body?.session)
    const bytes = hexBytes(body?.hex, 'hex')
    const reply = waitForRawReply(conn, number(body?.timeoutMs, 'timeoutMs', { fallback: 2000 }))
    log('raw_sent', { session: conn.index, detail: bytes.toString('hex').toUpperCase() })
    conn.socket.write(bytes)
    return reply
  },
  'POST /drop': () => {
    const dropped = [...connections.values()].map((c) => c.index)
    for (const conn of connections.values()) {
      conn.socket.destroy()
    }
    return { dropped }
  },
}

const control = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${HOST}`)
  const respond = (status, value) => {
    const json = JSON.stringify(value ?? null)
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) })
    res.end(json)
  }
  try {
    const handler = routes[`${req.method} ${url.pathname}`]
    if (!handler) {
      throw new HttpError(404, `no route ${req.method} ${url.pathname}`)
    }
    const chunks = []
    for await (const chunk of req) {
      chunks.push(chunk)
    }
    const text = Buffer.concat(chunks).toString('utf8')
    let body = null
    if (text !== '') {
      try {
        body = JSON.parse(text)
      } catch {
        throw new HttpError(400, 'the body is not JSON')
      }
    }
    respond(200, await handler(body, url.searchParams))
  } catch (error) {
    if (!(error instanceof HttpError)) {
      process.stderr.write(`smsc.mjs: ${req.method} ${url.pathname}: ${error.stack ?? error}\n`)
    }
    respond(error.status ?? 500, { error: error.message })
  }
})

// ---------------------------------------------------------------------------------------------------
// Start and stop

let stopping = false
function stop() {
  if (stopping) {
    return
  }
  stopping = true
  setTimeout(() => process.exit(0), 2000).unref()
  for (const conn of connections.values()) {
    conn.socket.destroy()
  }
  control.closeAllConnections?.()
  let open = 2
  const closed = () => --open === 0 && process.exit(0)
  server.close(closed)
  control.close(closed)
}

process.on('SIGTERM', stop)
process.on('SIGINT', stop)
const stdin = fstatSync(0)
if (stdin.isFIFO() || stdin.isSocket()) {
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}

const listen = (target, port) =>
  new Promise((resolve, reject) => {
    target.once('error', reject)
    target.listen(port, HOST, () => resolve(target.address().port))
  })

function environmentPort(name) {
  const value = process.env[name] || '0'
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`${name} must be a port number, not ${value}`, 2)
  }
  return port
}

try {
  const { SMSC_SYSTEM_ID: systemId, SMSC_PASSWORD: password, SMSC_RECEIPTS: receipts } = process.env
  if (systemId !== undefined || password !== undefined) {
    environmentDefaults.account = { systemId: systemId ?? 'agentmessage', password: password ?? '' }
  }
  if (receipts) {
    environmentDefaults.receipts = receiptSettings(JSON.parse(receipts), 'SMSC_RECEIPTS')
  }
} catch (error) {
  fail(`invalid SMSC_RECEIPTS: ${error.message}`, 2)
}
settings = defaultSettings()
const smppPortSetting = environmentPort('SMSC_SMPP_PORT')
const controlPortSetting = environmentPort('SMSC_CONTROL_PORT')

try {
  const smppPort = await listen(server, smppPortSetting)
  const controlPort = await listen(control, controlPortSetting)
  if (!stopping) {
    process.stdout.write(`SMSC listening smpp=${smppPort} control=${controlPort}\n`)
  }
} catch (error) {
  fail(`could not start: ${error.stack ?? error}`)
}
