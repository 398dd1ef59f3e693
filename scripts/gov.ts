/**
 * `npm run gov -- <command> …`: the DAC's Governor from the command line, on the devnet or any L1.
 *
 *   status [<proposalId>]                          every proposal (or one): state, votes, time left
 *   propose --target <address> (--function "<signature>" [--args <a,b,…>] | --calldata <hex>)
 *           [--value <wei>] --description "<text>" (repeat --target … for several actions)
 *   vote <proposalId> <for|against|abstain> [--reason "<text>"]
 *   queue <proposalId>
 *   execute <proposalId>
 *
 * Options: --rpc <url> and --governor <address>, by default the devnet's (.devnet/l1.json, written by
 * `npm start`). Commands that send take the key from the GOV_PRIVATE_KEY environment variable.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import {
  type AbiParameter,
  type Address,
  type Hex,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  getAddress,
  http,
  isHex,
  parseAbiItem,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  castVote,
  execute,
  explainRevert,
  listProposals,
  propose,
  proposalStatus,
  queue,
  voteSupport,
  type ProposalAction,
  type ProposalStatus,
  type VoteSupport,
} from './governance'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const usage = `usage: npm run gov -- <command> [options]

  status [<proposalId>]
  propose --target <address> (--function "setGasLimit(uint64)" --args 60000000 | --calldata <hex>)
          [--value <wei>] --description "<text>"     (repeat --target … for more actions)
  vote <proposalId> <for|against|abstain> [--reason "<text>"]
  queue <proposalId>
  execute <proposalId>

  --rpc <url>, --governor <address>   default: the devnet's, from .devnet/l1.json
  GOV_PRIVATE_KEY=0x…                 the key that proposes, votes, queues or executes`

/** "1d 2h 3m 4s" for a number of seconds. */
export function formatDuration(seconds: bigint): string {
  let s = Number(seconds)
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) parts.push(`${Math.floor(s / size)}${unit}`)
    s %= size
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`)
  return parts.join(' ')
}

/** A proposal's status as the CLI prints it. */
export function formatStatus(status: ProposalStatus): string {
  const tokens = (wei: bigint) => `${(wei / 10n ** 18n).toLocaleString('en-US')} EDGE`
  const lines = [`proposal ${status.proposalId}`, `  state    ${status.state}`]
  if (status.next)
    lines.push(
      status.next.inSeconds === 0n
        ? `  next     ${status.next.what} now`
        : `  next     ${status.next.what} in ${formatDuration(status.next.inSeconds)}`,
    )
  const v = status.votes
  lines.push(
    `  votes    for ${tokens(v.for)}, against ${tokens(v.against)}, abstain ${tokens(v.abstain)}` +
      (status.quorum === undefined ? '' : ` (quorum ${tokens(status.quorum)})`),
  )
  if (status.eta > 0n) lines.push(`  eta      ${new Date(Number(status.eta) * 1000).toISOString()}`)
  return lines.join('\n')
}

/** `--rpc` / `--governor`, else the devnet's (.devnet/l1.json: the node's L1 config). */
function target(values: { rpc?: string; governor?: string }): { rpc: string; governor: Address } {
  let rpc = values.rpc
  let governor = values.governor
  const file = path.join(root, '.devnet/l1.json')
  if ((!rpc || !governor) && existsSync(file)) {
    const l1 = JSON.parse(readFileSync(file, 'utf8')) as {
      rpcUrl: string
      shards: Record<string, { governor?: string }>
    }
    rpc ??= l1.rpcUrl
    governor ??= Object.values(l1.shards).find((s) => s.governor)?.governor
  }
  if (!rpc || !governor)
    throw new Error('no --rpc/--governor and no .devnet/l1.json with a governor (npm start)')
  return { rpc, governor: getAddress(governor) }
}

/** One action from `--function "name(types)"` and comma-separated `--args`. */
function encodeCall(signature: string, args: string | undefined): Hex {
  const fn = parseAbiItem(`function ${signature}`)
  if (fn.type !== 'function') throw new Error(`not a function signature: ${signature}`)
  const raw = args === undefined || args === '' ? [] : args.split(',')
  if (raw.length !== fn.inputs.length)
    throw new Error(`${signature} takes ${fn.inputs.length} arguments, got ${raw.length}`)
  const parsed = fn.inputs.map((input: AbiParameter, i) => parseArg(input.type, raw[i].trim()))
  return encodeFunctionData({ abi: [fn], functionName: fn.name, args: parsed })
}

function parseArg(type: string, value: string): unknown {
  if (/^u?int\d*$/.test(type)) return BigInt(value)
  if (type === 'bool') return value === 'true'
  if (type === 'address') return getAddress(value)
  if (type.startsWith('bytes') && isHex(value)) return value
  if (type === 'string') return value
  throw new Error(`argument type ${type} is not supported; pass --calldata`)
}

/** Runs one CLI invocation; returns what it prints. */
export async function runGov(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rpc: { type: 'string' },
      governor: { type: 'string' },
      target: { type: 'string', multiple: true },
      function: { type: 'string', multiple: true },
      args: { type: 'string', multiple: true },
      calldata: { type: 'string', multiple: true },
      value: { type: 'string', multiple: true },
      description: { type: 'string' },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [command, ...rest] = positionals
  if (values.help || !command) return usage
  const { rpc, governor } = target(values)
  // Poll receipts every half second: an L1 mines every 1–12 s and a person waits on each step.
  const reader = createPublicClient({ transport: http(rpc), pollingInterval: 500 })
  const signer = () => {
    const key = env.GOV_PRIVATE_KEY
    if (!key || !/^0x[0-9a-fA-F]{64}$/.test(key))
      throw new Error('set GOV_PRIVATE_KEY to the 0x-prefixed private key that signs')
    return createWalletClient({
      account: privateKeyToAccount(key as Hex),
      transport: http(rpc),
      pollingInterval: 500,
    })
  }
  const id = () => {
    if (!rest[0] || !/^\d+$/.test(rest[0])) throw new Error(`${command}: give a proposal id`)
    return BigInt(rest[0])
  }
  const show = async (proposalId: bigint) =>
    formatStatus(await proposalStatus(reader, governor, proposalId))

  switch (command) {
    case 'status': {
      const ids = rest[0] ? [id()] : await listProposals(reader, governor)
      if (ids.length === 0) return `no proposals on governor ${governor}`
      return (await Promise.all(ids.map(show))).join('\n\n')
    }
    case 'propose': {
      const targets = values.target ?? []
      if (targets.length === 0 || !values.description)
        throw new Error('propose: give --target and --description')
      const actions: ProposalAction[] = targets.map((t, i) => ({
        target: getAddress(t),
        value: BigInt(values.value?.[i] ?? 0),
        data: values.calldata?.[i]
          ? (values.calldata[i] as Hex)
          : values.function?.[i]
            ? encodeCall(values.function[i], values.args?.[i])
            : '0x',
      }))
      const { proposalId } = await propose(signer(), governor, actions, values.description)
      return `proposed\n${await show(proposalId)}`
    }
    case 'vote': {
      const support = rest[1] as VoteSupport
      if (!(support in voteSupport)) throw new Error('vote: support is for, against or abstain')
      await castVote(signer(), governor, id(), support, values.reason)
      return `voted ${support}\n${await show(id())}`
    }
    case 'queue':
      await queue(signer(), governor, id())
      return `queued\n${await show(id())}`
    case 'execute':
      await execute(signer(), governor, id())
      return `executed\n${await show(id())}`
    default:
      throw new Error(`unknown command ${command}\n\n${usage}`)
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runGov(process.argv.slice(2)).then(
    (out) => console.log(out),
    (err) => {
      console.error(explainRevert(err))
      process.exitCode = 1
    },
  )
}
