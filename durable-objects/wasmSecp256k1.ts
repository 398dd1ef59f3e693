// libsecp256k1 compiled to WebAssembly (the npm package tiny-secp256k1, bitcoinjs). Imported by path:
// the package's exports map hides the .wasm file, and its own loader reads it with `fs`, which workerd
// lacks, so this module instantiates the precompiled module wrangler hands over.
import wasmModule from '../node_modules/tiny-secp256k1/lib/secp256k1.wasm'
import * as rand from '../node_modules/tiny-secp256k1/lib/rand.browser.js'
import * as validateError from '../node_modules/tiny-secp256k1/lib/validate_error.js'
import type { RecoverPublicKey } from '../shared/txpool/decodeRawTransaction.js'

type Exports = {
  memory: WebAssembly.Memory
  initializeContext(): void
  recover(outputLength: number, recoveryId: number): number
  HASH_INPUT: WebAssembly.Global
  SIGNATURE_INPUT: WebAssembly.Global
  PUBLIC_KEY_INPUT: WebAssembly.Global
}

let wasm: Exports | undefined

function load(): Exports {
  if (!wasm) {
    const instance = new WebAssembly.Instance(wasmModule, {
      './rand.js': rand,
      './validate_error.js': validateError,
    })
    wasm = instance.exports as unknown as Exports
    wasm.initializeContext()
  }
  return wasm
}

/**
 * ECDSA public key recovery in WebAssembly: about thirty times faster than the pure-JS path, which
 * matters because every eth_sendRawTransaction pays it. Returns the 64-byte uncompressed key without
 * its 0x04 prefix, or undefined for a signature that recovers nothing.
 */
export const recoverPublicKeyWasm: RecoverPublicKey = (hash, signature, recoveryId) => {
  const w = load()
  const mem = new Uint8Array(w.memory.buffer)
  const h = w.HASH_INPUT.value as number
  const sig = w.SIGNATURE_INPUT.value as number
  const pub = w.PUBLIC_KEY_INPUT.value as number
  try {
    mem.set(hash, h)
    mem.set(signature, sig)
    return w.recover(65, recoveryId) === 1 ? mem.slice(pub + 1, pub + 65) : undefined
  } catch {
    return undefined
  } finally {
    mem.fill(0, h, h + 32)
    mem.fill(0, sig, sig + 64)
    mem.fill(0, pub, pub + 65)
  }
}
