import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { l1BlockDeployedBytecode } from '../generated/contracts/L1Block.js'
import { l2ToL1MessagePasserPredeployDeployedBytecode } from '../generated/contracts/L2ToL1MessagePasserPredeploy.js'

/** The L2 predeploys placed in every shard's genesis: address → runtime code (from the compiled sources). */
export const PREDEPLOYS = {
  // L1Block (OP's layout and ABI): the L2 block's L1 origin, written by the L1-info deposit of every block.
  '0x4200000000000000000000000000000000000015': l1BlockDeployedBytecode,
  // Bedrock's L2ToL1MessagePasser: withdrawals are `sentMessages` entries (slot 0) under its storage root.
  '0x4200000000000000000000000000000000000016': l2ToL1MessagePasserPredeployDeployedBytecode,
} as const

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const file = path.join(root, 'genesis.json')

/**
 * `npm run build:genesis`: writes the predeploys' runtime code into genesis.json's alloc (after
 * `npm run build:contracts`). genesis.json stays a plain JSON config the Worker bundles; a unit test
 * fails when it drifts from the compiled sources. Changing it changes every shard's genesis.
 */
export function buildGenesis(): boolean {
  const genesis = JSON.parse(readFileSync(file, 'utf8'))
  let changed = false
  for (const [address, code] of Object.entries(PREDEPLOYS)) {
    const entry = (genesis.alloc[address] ??= {})
    if (entry.code !== code) {
      entry.code = code
      changed = true
    }
  }
  if (changed) writeFileSync(file, `${JSON.stringify(genesis, null, 2)}\n`)
  return changed
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  console.log(buildGenesis() ? 'genesis.json updated' : 'genesis.json already current')
