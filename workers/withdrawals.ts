import { Hono, type Context } from 'hono'
import { createClient, custom } from 'viem'
import { findShard, parseChainIdParam, type Config } from '../shared/config.js'
import { BaseError } from '../shared/errors.js'
import { createEdgeDispatch } from '../shared/rpc/edgeMethods.js'
import { toRpcError } from '../shared/rpc/toRpcError.js'
import { buildShardChain } from '../shared/settlement/shardViemChain.js'
import {
  getWithdrawalReport,
  L1UnavailableError,
  WithdrawalTransactionNotFoundError,
} from '../shared/settlement/withdrawalStatus.js'
import { createEdgeContext } from '../durable-objects/edgeContext.js'
import { createL1Clients } from '../durable-objects/l1Clients.js'

type WithdrawalsEnv = { Bindings: Env; Variables: { config: Config } }

/**
 * The withdrawal-proof API, for clients without viem's op-stack actions:
 * `GET /withdrawals/<l2TxHash>` (first shard) and `GET /chain/<chainId>/withdrawals/<l2TxHash>`.
 *
 * 200 `{ chainId, transactionHash, withdrawals: [{ withdrawal, status, l2BlockNumber, prove? }] }`:
 * one entry per `MessagePassed` of the L2ToL1MessagePasser in the transaction (none: an empty list).
 * `withdrawal` is the portal's `Types.WithdrawalTransaction` plus its hash; `status` is one of
 * waiting-to-prove, ready-to-prove, waiting-to-finalize, ready-to-finalize, finalized. `prove` is
 * given only while the status is ready-to-prove: `{ function: 'proveWithdrawalTransaction', portal,
 * l2OutputIndex, outputRootProof, withdrawalProof }`, the call's arguments after the withdrawal, to
 * send to `portal` on L1. Quantities (nonce, value, gasLimit, l2BlockNumber, l2OutputIndex) are
 * 0x-hex as in JSON-RPC; `chainId` is a number as in GET /chains.
 *
 * Errors are `{ error }`: 400 for a malformed hash; 404 for an unknown chain, a shard that settles
 * on no L1, or a transaction unknown or not mined yet; 503 when L1 or the shard cannot answer now.
 */
export const withdrawals = new Hono<WithdrawalsEnv>()

withdrawals.get('/withdrawals/:hash', (c) =>
  withdrawalRoute(c, c.get('config').shards[0].chainId, c.req.param('hash')),
)
withdrawals.get('/chain/:chainId/withdrawals/:hash', (c) => {
  const raw = c.req.param('chainId')
  const id = parseChainIdParam(raw)
  if (id === undefined) return c.json({ error: `bad chain id in path: ${raw}` }, 404)
  return withdrawalRoute(c, id, c.req.param('hash'))
})

async function withdrawalRoute(c: Context<WithdrawalsEnv>, chainId: number, hash: string) {
  const config = c.get('config')
  let shard
  try {
    shard = findShard(config, chainId)
  } catch (err) {
    return c.json({ error: (err as BaseError).shortMessage }, 404)
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(hash))
    return c.json(
      { error: `malformed transaction hash ${hash}: expected 0x and 64 hex digits` },
      400,
    )
  const chain = config.l1 && buildShardChain(config.l1, shard)
  if (!config.l1 || !chain) return c.json({ error: `shard ${chainId} settles on no L1` }, 404)

  const dispatch = createEdgeDispatch(createEdgeContext(c.env, config, chainId))
  // The shard answers in-process: the same dispatcher as POST, without an HTTP round trip.
  const l2 = createClient({
    chain,
    transport: custom(
      {
        request: ({ method, params }) => dispatch(method, (params as unknown[] | undefined) ?? []),
      },
      { retryCount: 0 },
    ),
  })
  const { l1 } = createL1Clients(config.l1, {})
  try {
    return c.json(await getWithdrawalReport({ l1, l2 }, hash as `0x${string}`))
  } catch (err) {
    if (err instanceof WithdrawalTransactionNotFoundError)
      return c.json({ error: err.shortMessage }, 404)
    if (err instanceof L1UnavailableError) return c.json({ error: err.shortMessage }, 503)
    // A node or viem error says what failed in a short message; anything else is logged under an
    // id and answered with that id only (no stack, class name or path).
    const short = (err as { shortMessage?: unknown } | null)?.shortMessage
    if (typeof short === 'string') {
      console.error('withdrawal status', err)
      return c.json({ error: `shard ${chainId} could not answer: ${short}` }, 503)
    }
    const { data } = toRpcError(err, { method: `GET /withdrawals/${hash}` })
    return c.json(
      { error: `shard ${chainId} could not answer: internal error`, ...(data as object) },
      503,
    )
  }
}
