/**
 * Compiles every Solidity source under `contracts/` with solc-js and writes one TypeScript module per
 * contract to `generated/contracts/<Name>.ts`, exporting `<name>Abi`, `<name>Bytecode` and
 * `<name>DeployedBytecode` `as const` so that viem infers argument and return types. Sources are
 * split between compiler profiles (a later one can pin another solc under an npm alias); imports
 * resolve from `node_modules`. A stamp in `generated/contracts/` skips the work when no input changed.
 *
 * Usage: `node --import tsx scripts/build-contracts.ts [--force]` (`npm run build:contracts`).
 */
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** A solc compiler profile: which package compiles which sources, with which settings. */
type CompilerProfile = {
  /** npm package exposing solc-js: `solc`, or an alias such as `solc-0.8.15` (npm:solc@0.8.15). */
  readonly package: string
  /** Whether this profile compiles a source (path relative to the root, e.g. `contracts/L1/X.sol`). */
  readonly includes: (source: string) => boolean
  /** Standard-JSON `settings`, without `outputSelection`. */
  readonly settings: Readonly<Record<string, unknown>>
}

/**
 * The profiles, first match wins. Osaka is the hardfork the node runs (shared/chain/chainCommon.ts)
 * and anvil's default.
 */
const profiles: readonly CompilerProfile[] = [
  {
    // Wrappers around @eth-optimism/contracts-bedrock's trie libraries, whose RLP errors file pins
    // solc 0.8.15 (npm alias solc-0.8.15); london is the newest EVM that solc knows.
    package: 'solc-0.8.15',
    // Also the L2 predeploys taken from Bedrock (contracts/L2/bedrock/), whose sources import `src/…`.
    includes: (source) =>
      source.startsWith('contracts/L1/bedrock/') || source.startsWith('contracts/L2/bedrock/'),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'london',
      remappings: ['src/=@eth-optimism/contracts-bedrock/src/'],
    },
  },
  {
    package: 'solc',
    includes: () => true,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'osaka', viaIR: false },
  },
]

const outputs = [
  'abi',
  'evm.bytecode.object',
  'evm.bytecode.linkReferences',
  'evm.deployedBytecode.object',
]

type Solc = {
  version(): string
  compile(input: string, callbacks: { import: (path: string) => ImportResult }): string
}
type ImportResult = { contents: string } | { error: string }
type SolcError = {
  severity: 'error' | 'warning' | 'info'
  formattedMessage: string
  sourceLocation?: { file: string }
}
type SolcContract = {
  abi: unknown[]
  evm: {
    bytecode: { object: string; linkReferences: Record<string, unknown> }
    deployedBytecode: { object: string }
  }
}
type SolcOutput = {
  errors?: SolcError[]
  contracts?: Record<string, Record<string, SolcContract>>
}

/** A compile error, a name clash or an unlinked library: the build wrote nothing. */
export class ContractBuildError extends Error {
  override name = 'ContractBuildError'
}

/** What `buildContracts` did. */
export type BuildResult = { cached: boolean; contracts: string[] }

/**
 * Builds `<root>/generated/contracts/` from `<root>/contracts/` unless the stamp says it is current.
 * Throws `ContractBuildError` (with solc's formatted messages) and leaves the outputs untouched on failure.
 */
export function buildContracts(opts: { root?: string; force?: boolean } = {}): BuildResult {
  const root = opts.root ?? path.resolve(fileURLToPath(import.meta.url), '../..')
  const outDir = path.join(root, 'generated/contracts')
  const stampFile = path.join(outDir, '.stamp.json')
  const sources = findSources(root)
  const stamp = opts.force ? undefined : readStamp(stampFile)
  if (
    stamp &&
    stamp.key === hashInputs(root, [...sources, ...stamp.inputs]) &&
    stamp.contracts.every((name) => existsSync(path.join(outDir, `${name}.ts`)))
  )
    return { cached: true, contracts: stamp.contracts }

  const modules = new Map<string, string>()
  const inputs = new Set(sources)
  for (const [profile, group] of groupByProfile(sources)) {
    const { contracts, read } = compile(root, profile, group)
    for (const file of read) inputs.add(file)
    for (const { name, source, module } of contracts) {
      if (modules.has(name))
        throw new ContractBuildError(`two contracts are named ${name}, one of them in ${source}`)
      modules.set(name, module)
    }
  }

  mkdirSync(outDir, { recursive: true })
  for (const file of readdirSync(outDir))
    if (file.endsWith('.ts') && !modules.has(file.slice(0, -3))) rmSync(path.join(outDir, file))
  for (const [name, module] of modules) writeAtomic(path.join(outDir, `${name}.ts`), module)
  const contracts = [...modules.keys()].sort()
  const key = hashInputs(root, [...inputs])
  writeAtomic(stampFile, JSON.stringify({ key, inputs: [...inputs].sort(), contracts }, null, 2))
  return { cached: false, contracts }
}

/** Compiles one profile's sources; returns each contract's generated module and every file read. */
function compile(root: string, profile: CompilerProfile, sources: string[]) {
  const solc = createRequire(import.meta.url)(profile.package) as Solc
  const read = new Map<string, string>() // source unit name → path relative to root
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(sources.map((s) => [s, { content: readText(root, s) }])),
    settings: {
      ...profile.settings,
      outputSelection: Object.fromEntries(sources.map((s) => [s, { '*': outputs }])),
    },
  }
  const findImport = (unit: string): ImportResult => {
    const file = resolveImport(root, unit)
    if (!file) return { error: `not found under contracts/ or node_modules/: ${unit}` }
    read.set(unit, file)
    return { contents: readText(root, file) }
  }
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), { import: findImport }),
  ) as SolcOutput
  const errors = output.errors ?? []
  // Warnings about dependencies' sources (OpenZeppelin's `at`, soon a keyword) are not ours to fix.
  const ours = (e: SolcError) => !e.sourceLocation || e.sourceLocation.file.startsWith('contracts/')
  for (const warning of errors.filter((e) => e.severity !== 'error' && ours(e)))
    console.warn(warning.formattedMessage.trimEnd())
  const failures = errors.filter((e) => e.severity === 'error')
  if (failures.length > 0)
    throw new ContractBuildError(
      `solc ${solc.version()} failed:\n\n${failures.map((e) => e.formattedMessage).join('\n')}`,
    )

  const contracts = Object.entries(output.contracts ?? {}).flatMap(([source, byName]) =>
    Object.entries(byName).map(([name, contract]) => {
      if (Object.keys(contract.evm.bytecode.linkReferences).length > 0)
        throw new ContractBuildError(
          `${name} (${source}) needs library linking, which is unsupported`,
        )
      return { name, source, module: renderModule(name, source, solc.version(), contract) }
    }),
  )
  return { contracts, read: [...read.values()] }
}

/** The generated module: ABI, creation bytecode and runtime bytecode, all `as const`. */
function renderModule(
  name: string,
  source: string,
  version: string,
  contract: SolcContract,
): string {
  const id = lowerFirstWord(name)
  return [
    `// Generated by scripts/build-contracts.ts from ${source} with solc ${version}. Do not edit.`,
    '',
    `/** ABI of \`${name}\` (${source}). */`,
    `export const ${id}Abi = ${JSON.stringify(contract.abi, null, 2)} as const`,
    '',
    `/** Creation bytecode of \`${name}\`: deploy it with the constructor arguments appended. */`,
    `export const ${id}Bytecode = '0x${contract.evm.bytecode.object}' as const`,
    '',
    `/** Runtime bytecode of \`${name}\` (immutables left as zeros). */`,
    `export const ${id}DeployedBytecode = '0x${contract.evm.deployedBytecode.object}' as const`,
    '',
  ].join('\n')
}

/** `TestToken` → `testToken`, `ERC20Votes` → `erc20Votes`, `WETH9` → `weth9`, `OVMToken` → `ovmToken`. */
function lowerFirstWord(name: string): string {
  const upper = /^[A-Z]+/.exec(name)?.[0] ?? ''
  const keep = upper.length > 1 && /^[a-z]/.test(name.slice(upper.length)) ? 1 : 0
  const cut = upper.length - keep
  return name.slice(0, cut).toLowerCase() + name.slice(cut)
}

/** Every `.sol` file under `contracts/`, as sorted POSIX paths relative to the root. */
function findSources(root: string): string[] {
  const dir = path.join(root, 'contracts')
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.sol'))
    .map((file) => `contracts/${file.split(path.sep).join('/')}`)
    .sort()
}

function groupByProfile(sources: string[]): Map<CompilerProfile, string[]> {
  const groups = new Map<CompilerProfile, string[]>()
  for (const source of sources) {
    const profile = profiles.find((p) => p.includes(source))
    if (!profile) throw new ContractBuildError(`no compiler profile includes ${source}`)
    groups.set(profile, [...(groups.get(profile) ?? []), source])
  }
  return groups
}

/** Maps an import's source unit name to a file relative to the root: `contracts/…` or `node_modules/…`. */
function resolveImport(root: string, unit: string): string | undefined {
  if (path.posix.isAbsolute(unit) || unit.split('/').includes('..')) return undefined
  const candidates = unit.startsWith('contracts/') ? [unit] : [`node_modules/${unit}`]
  return candidates.find((file) => existsSync(path.join(root, file)))
}

/**
 * The stamp key: this script, each profile's compiler version and settings, and every input file's
 * content (a missing file hashes as missing, so deleting an import also invalidates the stamp).
 */
function hashInputs(root: string, files: string[]): string {
  const hash = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url)))
  const require = createRequire(import.meta.url)
  for (const profile of profiles) {
    const pkg = require(`${profile.package}/package.json`) as { version: string }
    hash.update(`\0${profile.package}@${pkg.version}\0${JSON.stringify(profile.settings)}`)
  }
  for (const file of [...new Set(files)].sort()) {
    const full = path.join(root, file)
    hash.update(`\0${file}\0`).update(existsSync(full) ? readFileSync(full) : '\0missing')
  }
  return hash.digest('hex')
}

type Stamp = { key: string; inputs: string[]; contracts: string[] }

function readStamp(file: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Stamp
  } catch {
    return undefined
  }
}

function readText(root: string, file: string): string {
  return readFileSync(path.join(root, file), 'utf8')
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a module. */
function writeAtomic(file: string, contents: string): void {
  writeFileSync(`${file}.tmp`, contents)
  renameSync(`${file}.tmp`, file)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now()
  try {
    const { cached, contracts } = buildContracts({ force: process.argv.includes('--force') })
    const ms = Math.round(performance.now() - started)
    console.log(
      cached
        ? `contracts unchanged, kept ${contracts.length} modules in generated/contracts (${ms} ms)`
        : `compiled ${contracts.length} contracts into generated/contracts (${ms} ms): ${contracts.join(', ')}`,
    )
  } catch (err) {
    console.error(err instanceof ContractBuildError ? `build-contracts: ${err.message}` : err)
    process.exitCode = 1
  }
}
