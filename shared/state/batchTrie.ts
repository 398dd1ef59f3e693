import {
  BranchMPTNode,
  ExtensionMPTNode,
  LeafMPTNode,
  type MerklePatriciaTrie,
} from '@ethereumjs/mpt'
import { equalsBytes, type BatchDBOp } from '@ethereumjs/util'

/** One write: a value to put, or `undefined` (or empty bytes) to delete the key. */
export type TrieWrite = { key: Uint8Array; value: Uint8Array | undefined }

type Nibbles = number[]
/** A child as stored: a node hash, an inline raw node, or nothing. Not loaded, not changed. */
type Stored = { ref: Uint8Array | Uint8Array[] }
/** A node changed by this batch, held decoded until the batch is hashed. */
type Work =
  | { t: 'leaf'; key: Nibbles; value: Uint8Array }
  | { t: 'ext'; key: Nibbles; child: Slot }
  | { t: 'branch'; children: Slot[]; value: Uint8Array | null }
type Slot = Work | Stored | null

/**
 * Applies many writes to a Merkle-Patricia trie at once, with the same result (root and nodes) as
 * `trie.put`/`trie.del` one by one. Those walk the path through the node store and re-encode and
 * re-hash every node on it for each key; here the writes land on a decoded working tree, each node
 * is read from the store at most once, and each changed node is encoded and hashed once, at the end.
 * Only the final nodes reach the store (no intermediate versions). Writes apply in order.
 */
export async function batchUpdate(trie: MerklePatriciaTrie, writes: TrieWrite[]): Promise<void> {
  if (writes.length === 0) return
  // ethereumjs keeps these protected; they are the trie's own key hashing, node hash and DB key.
  const internals = trie as unknown as Internals
  const load = async (slot: Slot): Promise<Work | null> => {
    if (slot === null || !('ref' in slot)) return slot
    return fromNode(await trie.lookupNode(slot.ref))
  }

  /**
   * Returns `slot` itself when the key already holds `value` (nothing changed): the state manager
   * flushes what a block read as well as what it wrote, and an unchanged path is not re-encoded.
   */
  const put = async (slot: Slot, key: Nibbles, value: Uint8Array): Promise<Slot> => {
    const node = await load(slot)
    if (!node) return leaf(key, value)
    if (node.t === 'branch') {
      if (key.length === 0) {
        if (node.value !== null && equalsBytes(node.value, value)) return slot
        node.value = value
        return node
      }
      const child = await put(node.children[key[0]], key.slice(1), value)
      if (child === node.children[key[0]]) return slot
      node.children[key[0]] = child
      return node
    }
    const n = common(node.key, key)
    if (node.t === 'leaf' && n === node.key.length && n === key.length) {
      if (equalsBytes(node.value, value)) return slot
      node.value = value
      return node
    }
    if (node.t === 'ext' && n === node.key.length) {
      const child = await put(node.child, key.slice(n), value)
      if (child === node.child) return slot
      node.child = child
      return node
    }
    // The paths part at nibble n: a branch there, under an extension for the shared prefix.
    const b = branch()
    if (node.t === 'leaf') {
      if (n === node.key.length) b.value = node.value
      else b.children[node.key[n]] = leaf(node.key.slice(n + 1), node.value)
    } else {
      const rest = node.key.slice(n + 1)
      b.children[node.key[n]] = rest.length
        ? { t: 'ext', key: rest, child: node.child }
        : node.child
    }
    if (n === key.length) b.value = value
    else b.children[key[n]] = leaf(key.slice(n + 1), value)
    return n > 0 ? { t: 'ext', key: key.slice(0, n), child: b } : b
  }

  /** Returns `slot` itself when the key was not there (nothing changed). */
  const del = async (slot: Slot, key: Nibbles): Promise<Slot> => {
    const node = await load(slot)
    if (!node) return slot
    if (node.t === 'leaf') return equal(node.key, key) ? null : slot
    if (node.t === 'ext') {
      if (common(node.key, key) !== node.key.length) return slot
      const child = await del(node.child, key.slice(node.key.length))
      if (child === node.child) return slot
      return child === null ? null : prefixed(node.key, child)
    }
    if (key.length === 0) {
      if (node.value === null) return slot
      node.value = null
    } else {
      const child = await del(node.children[key[0]], key.slice(1))
      if (child === node.children[key[0]]) return slot
      node.children[key[0]] = child
    }
    // A branch left with one child (and no value) folds into it; with none, into its value.
    const used = node.children.flatMap((c, i) => (c === null ? [] : [i]))
    if (used.length === 0) return node.value === null ? null : leaf([], node.value)
    if (used.length === 1 && node.value === null) return prefixed([used[0]], node.children[used[0]])
    return node
  }

  /** `slot` reached through `prefix`: leaves and extensions absorb it; a branch gets an extension. */
  const prefixed = async (prefix: Nibbles, slot: Slot): Promise<Work> => {
    const node = (await load(slot))!
    if (node.t === 'leaf') return leaf([...prefix, ...node.key], node.value)
    if (node.t === 'ext') return { t: 'ext', key: [...prefix, ...node.key], child: node.child }
    return { t: 'ext', key: prefix, child: slot }
  }

  let root: Slot = equalsBytes(trie.root(), trie.EMPTY_TRIE_ROOT) ? null : { ref: trie.root() }
  for (const w of writes) {
    const key = nibbles(internals.appliedKey(w.key))
    root = w.value && w.value.length > 0 ? await put(root, key, w.value) : await del(root, key)
  }

  const ops: BatchDBOp[] = []
  const encode = (slot: Slot, top: boolean): Uint8Array | Uint8Array[] | null => {
    if (slot === null) return null
    if ('ref' in slot) return slot.ref
    let node: LeafMPTNode | ExtensionMPTNode | BranchMPTNode
    if (slot.t === 'leaf') node = new LeafMPTNode(slot.key, slot.value)
    else if (slot.t === 'ext')
      node = new ExtensionMPTNode(slot.key, encode(slot.child, false) as Uint8Array)
    else {
      const b = new BranchMPTNode()
      slot.children.forEach((c, i) => b.setBranch(i, encode(c, false) as Uint8Array | null))
      b.value(slot.value)
      node = b
    }
    const bytes = node.serialize()
    if (bytes.length < 32 && !top) return node.raw() as Uint8Array[]
    const h = internals.hash(bytes)
    ops.push({ type: 'put', key: internals._getDbKey(h), value: bytes })
    return h
  }
  if (root === null) trie.root(trie.EMPTY_TRIE_ROOT)
  else if (!('ref' in root)) trie.root(encode(root, true) as Uint8Array)
  await trie.database().batch(ops)
}

type Internals = {
  appliedKey(key: Uint8Array): Uint8Array
  hash(bytes: Uint8Array): Uint8Array
  _getDbKey(hash: Uint8Array): Uint8Array
}

function fromNode(node: LeafMPTNode | ExtensionMPTNode | BranchMPTNode): Work {
  if (node instanceof LeafMPTNode) return leaf(node.key(), node.value())
  if (node instanceof ExtensionMPTNode)
    return { t: 'ext', key: node.key(), child: stored(node.value()) }
  return {
    t: 'branch',
    children: Array.from({ length: 16 }, (_, i) => stored(node.getBranch(i))),
    value: node.value(), // null when empty
  }
}

function stored(ref: Uint8Array | Uint8Array[] | null | undefined): Stored | null {
  return ref === null || ref === undefined || ref.length === 0 ? null : { ref }
}

/** One nibble per half-byte (the package's own helper is not exported). */
function nibbles(bytes: Uint8Array): Nibbles {
  const out = new Array<number>(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = bytes[i] >> 4
    out[2 * i + 1] = bytes[i] & 15
  }
  return out
}

const leaf = (key: Nibbles, value: Uint8Array): Work => ({ t: 'leaf', key, value })
const branch = (): Extract<Work, { t: 'branch' }> => ({
  t: 'branch',
  children: new Array<Slot>(16).fill(null),
  value: null,
})

function common(a: Nibbles, b: Nibbles): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

const equal = (a: Nibbles, b: Nibbles) => a.length === b.length && common(a, b) === a.length
