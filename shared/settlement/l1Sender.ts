import {
  BaseError,
  keccak256,
  NonceTooLowError,
  TransactionReceiptNotFoundError,
  type Account,
  type Chain,
  type Client,
  type Hex,
  type TransactionReceipt,
  type Transport,
} from 'viem'
import {
  estimateFeesPerGas,
  estimateGas,
  getTransactionCount,
  getTransactionReceipt,
  sendRawTransaction,
} from 'viem/actions'
import { getNodeError } from 'viem/utils'

/** A client of the L1 that reads. */
export type L1Client = Client<Transport, Chain | undefined>
/** A client of the L1 that signs and sends (an account's key). */
export type L1Wallet = Client<Transport, Chain | undefined, Account>

/** Where a sender keeps its one in-flight transaction (the sequencer's meta table). */
export type MetaStore = {
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  deleteMeta(key: string): void
}

/** A signed L1 transaction in flight, with what it carries (`tag`, plain JSON: e.g. the L2 blocks of a batch). */
export type Pending<T> = { raw: Hex; hash: Hex; nonce: number; tag: T }

/** What one `step` did. */
export type StepResult<T> =
  | { kind: 'idle' }
  | { kind: 'sent'; pending: Pending<T> }
  | { kind: 'waiting'; pending: Pending<T> }
  | { kind: 'mined'; pending: Pending<T>; receipt: TransactionReceipt }
  | { kind: 'reverted'; pending: Pending<T>; receipt: TransactionReceipt }
  | { kind: 'lost'; pending: Pending<T> }

/**
 * Sends L1 transactions one at a time so that none is sent twice, across crashes and L1 outages: the
 * signed bytes are stored before they are broadcast, and until a receipt appears the same bytes are
 * re-broadcast (same nonce and hash, so at most one copy can ever be mined). Only when the account's
 * nonce has moved past it without a receipt is a transaction given up as lost. The caller's key
 * must not be used by anything else.
 */
export class L1Sender<T> {
  constructor(
    private readonly client: Client<Transport, Chain | undefined, Account>,
    private readonly meta: MetaStore,
    private readonly key: string,
  ) {}

  /** The transaction in flight, if any. */
  pending(): Pending<T> | undefined {
    const v = this.meta.getMeta(this.key)
    return v ? (JSON.parse(v) as Pending<T>) : undefined
  }

  /**
   * Advances by one step: settles the transaction in flight (mined, reverted, lost, or re-broadcast),
   * or else asks `next` for a new one and sends it. L1 errors propagate; calling again resumes.
   */
  async step(
    next: () => Promise<{ to: Hex; data: Hex; value?: bigint; tag: T } | undefined>,
  ): Promise<StepResult<T>> {
    const pending = this.pending()
    if (pending) {
      const receipt = await getTransactionReceipt(this.client, { hash: pending.hash }).catch(
        (err: unknown) => {
          if (err instanceof TransactionReceiptNotFoundError) return undefined
          throw err
        },
      )
      if (receipt) {
        this.meta.deleteMeta(this.key)
        return { kind: receipt.status === 'success' ? 'mined' : 'reverted', pending, receipt }
      }
      const nonce = await getTransactionCount(this.client, {
        address: this.client.account.address,
        blockTag: 'latest',
      })
      if (nonce > pending.nonce) {
        this.meta.deleteMeta(this.key)
        return { kind: 'lost', pending }
      }
      await sendRawTransaction(this.client, { serializedTransaction: pending.raw }).catch(
        (err: unknown) => {
          // Still in the L1's pool ("already known"), or mined: nothing to do but wait.
          if (!nonceTaken(err)) throw err
        },
      )
      return { kind: 'waiting', pending }
    }
    const request = await next()
    if (!request) return { kind: 'idle' }
    const account = this.client.account
    const [nonce, fees, gas] = await Promise.all([
      getTransactionCount(this.client, { address: account.address, blockTag: 'pending' }),
      estimateFeesPerGas(this.client),
      estimateGas(this.client, {
        account,
        to: request.to,
        data: request.data,
        value: request.value,
      }),
    ])
    if (!account.signTransaction) throw new Error('the L1 account cannot sign')
    const raw = await account.signTransaction({
      chainId:
        this.client.chain?.id ??
        (await this.client.request({ method: 'eth_chainId' }).then(Number)),
      type: 'eip1559',
      to: request.to,
      data: request.data,
      value: request.value,
      nonce,
      gas: (gas * 12n) / 10n,
      maxFeePerGas: fees.maxFeePerGas * 2n,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    })
    const sent: Pending<T> = { raw, hash: keccak256(raw), nonce, tag: request.tag }
    this.meta.setMeta(this.key, JSON.stringify(sent))
    try {
      await sendRawTransaction(this.client, { serializedTransaction: raw })
    } catch (err) {
      // Another sender of this account (another shard's node) took the nonce a moment earlier (the
      // L1 says so, or its pool holds another transaction with it): this one can never be mined,
      // so it is given up at once and the next step signs afresh.
      const taken =
        nonceTaken(err) ||
        (await getTransactionCount(this.client, {
          address: account.address,
          blockTag: 'pending',
        })) > nonce
      if (!taken) throw err
      this.meta.deleteMeta(this.key)
      return { kind: 'lost', pending: sent }
    }
    return { kind: 'sent', pending: sent }
  }
}

/** Whether the L1 refused a transaction because its nonce is used (viem's classification of node errors). */
function nonceTaken(err: unknown): boolean {
  return err instanceof BaseError && getNodeError(err, {}) instanceof NonceTooLowError
}
