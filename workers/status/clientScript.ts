import { createDetailViews } from './client/detail.js'
import { createHomeViews } from './client/home.js'
import { createKit } from './client/kit.js'
import { startStatus } from './client/main.js'
import { createNetworkViews } from './client/network.js'
import { createNode } from './client/node.js'
import { KEEP_BLOCKS } from './client/state.js'
import { createWithdrawalView } from './client/withdrawal.js'

/**
 * The status page's client as one inline script: each part under `client/` is a self-contained
 * function (it refers to nothing outside its own body and parameters), so its source, as the
 * Worker's bundle holds it, is the browser's code: typechecked with the rest, no second build step.
 * `chainId` and `rpcPath` name the shard the page shows.
 */
export function buildClientScript(opts: { chainId: number; rpcPath: string }): string {
  const json = JSON.stringify(opts).replace(/</g, '\\u003c')
  return `(() => {
const k = (${createKit})();
const node = (${createNode})(${json}, location);
const views = {
  home: (${createHomeViews})(k),
  net: (${createNetworkViews})(k),
  detail: (${createDetailViews})(k, node),
  withdrawal: (${createWithdrawalView})(k, node),
};
(${startStatus})(k, node, views, ${KEEP_BLOCKS});
})();`
}
