// prestateTracer (geth eth/tracers/native/prestate.go, non-diff mode)
import {
  Address,
  bigIntToBytes,
  bytesToHex,
  createZeroAddress,
  generateAddress,
  generateAddress2,
  setLengthLeft,
} from '@ethereumjs/util'
import type { RunTxOpts, VM } from '@ethereumjs/vm'
import { runHooked } from './traceHooks.js'
import { qty, readMemory, readSlot, stackAddress, word } from './traceStep.js'

type PreAccount = {
  balance: bigint
  nonce: bigint
  code: Uint8Array
  storage: Map<bigint, bigint>
  empty: boolean
}

/** The `tracerConfig` options prestateTracer reads (non-diff mode). */
export type PrestateTracerConfig = { disableCode?: boolean; disableStorage?: boolean }

/**
 * geth's `prestateTracer` in non-diff mode: the accounts (balance, code, nonce, storage slots) the
 * transaction touches, as they were before it ran. Accounts it creates that were empty are left out.
 */
export async function prestateTracer(vm: VM, opts: RunTxOpts, cfg: PrestateTracerConfig) {
  const pre = new Map<string, PreAccount>()
  const created = new Set<string>()
  const state = vm.stateManager
  const lookup = async (address: Address) => {
    if (pre.has(address.toString())) return
    const account = await state.getAccount(address)
    const code = await state.getCode(address)
    const [balance, nonce] = [account?.balance ?? 0n, account?.nonce ?? 0n]
    const empty = balance === 0n && nonce === 0n && code.length === 0
    pre.set(address.toString(), { balance, nonce, code, storage: new Map(), empty })
  }
  const from = opts.tx.getSenderAddress()
  let to = opts.tx.to
  if (!to) {
    const nonce = (await state.getAccount(from))?.nonce ?? 0n
    to = new Address(generateAddress(from.bytes, bigIntToBytes(nonce)))
    created.add(to.toString())
  }
  await lookup(from)
  await lookup(to)
  await lookup(opts.block?.header.coinbase ?? createZeroAddress())
  await runHooked(vm, opts, {
    async step(e) {
      const op = e.opcode.code
      const s = e.stack
      const n = s.length
      if ((op === 0x54 || op === 0x55) && n >= 1) {
        await lookup(e.address)
        const slots = pre.get(e.address.toString())!.storage
        if (!slots.has(s[n - 1]))
          slots.set(s[n - 1], BigInt(bytesToHex(await readSlot(e, e.address, s[n - 1]))))
      } else if ([0x31, 0x3b, 0x3c, 0x3f, 0xff].includes(op) && n >= 1) {
        await lookup(stackAddress(s[n - 1]))
      } else if ([0xf1, 0xf2, 0xf4, 0xfa].includes(op) && n >= 5) {
        await lookup(stackAddress(s[n - 2]))
      } else if (op === 0xf0 || (op === 0xf5 && n >= 4)) {
        const init = op === 0xf5 && readMemory(e.memory, s[n - 2], s[n - 3])
        if (op === 0xf5 && !init) return
        const address = new Address(
          init
            ? generateAddress2(e.address.bytes, setLengthLeft(bigIntToBytes(s[n - 4]), 32), init)
            : generateAddress(e.address.bytes, bigIntToBytes(e.account.nonce)),
        )
        await lookup(address)
        created.add(address.toString())
      }
    },
  })
  for (const address of created) if (pre.get(address)?.empty) pre.delete(address)
  const out: Record<string, Record<string, unknown>> = {}
  for (const [address, a] of [...pre].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const json: Record<string, unknown> = { balance: qty(a.balance) }
    if (!cfg.disableCode && a.code.length) json.code = bytesToHex(a.code)
    if (a.nonce > 0n) json.nonce = Number(a.nonce)
    if (!cfg.disableStorage && a.storage.size)
      json.storage = Object.fromEntries(
        [...a.storage].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [word(k), word(v)]),
      )
    out[address] = json
  }
  return out
}
