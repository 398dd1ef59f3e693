import { findShard, type Config } from '../../shared/config.js'
import { createEdgeDispatch } from '../../shared/rpc/edgeMethods.js'
import { createEdgeContext } from '../../durable-objects/edgeContext.js'
import { buildClientScript } from './clientScript.js'
import { StatusPage, type HeadBlock } from './StatusPage.js'

/** Whether a GET asks for a page: a browser's `Accept` names text/html. */
export function wantsHtml(accept: string | undefined): boolean {
  return accept?.includes('text/html') ?? false
}

/**
 * The status page of shard `chainId` as HTML: the heads read through the shard's JSON-RPC dispatch
 * (`createEdgeDispatch`, the code path of every POST), the rest filled in by the client script from
 * the node's JSON-RPC, websocket and GET endpoints. A head the shard cannot read now is left for
 * the client.
 */
export async function renderStatusPage(env: Env, config: Config, chainId: number): Promise<string> {
  const shard = findShard(config, chainId)
  const dispatch = createEdgeDispatch(createEdgeContext(env, config, chainId))
  const head = (tag: string) =>
    (dispatch('eth_getBlockByNumber', [tag, false]) as Promise<HeadBlock>).catch(() => null)
  const [latest, safe, finalized] = await Promise.all(['latest', 'safe', 'finalized'].map(head))
  const script = buildClientScript({ chainId, rpcPath: `/chain/${chainId}` })
  if (/<\/script/i.test(script)) throw new Error('the status client script contains </script')
  const page = (
    <StatusPage
      shard={{ chainId: shard.chainId, name: shard.name }}
      shards={config.shards.map((s) => ({ chainId: s.chainId, name: s.name }))}
      heads={{ latest, safe, finalized }}
      script={script}
    />
  )
  return `<!doctype html>${await page.toString()}`
}
