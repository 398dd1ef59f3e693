import { raw } from 'hono/html'
import type { FC, PropsWithChildren } from 'hono/jsx'
import { styles } from './styles.js'

/** A head as the server read it through the shard's JSON-RPC dispatch (eth_getBlockByNumber). */
export type HeadBlock = { number: string; hash: string; timestamp: string } | null

/** What the server renders the page from. */
export type StatusPageProps = {
  shard: { chainId: number; name: string }
  shards: { chainId: number; name: string }[]
  heads: { latest: HeadBlock; safe: HeadBlock; finalized: HeadBlock }
  /** The inline client script (`buildClientScript`). */
  script: string
}

const Head: FC<{ name: string; block: HeadBlock }> = ({ name, block }) => (
  <div
    class="head"
    data-head={name}
    data-number={block ? String(BigInt(block.number)) : undefined}
    data-hash={block?.hash}
  >
    <div class="label">{name}</div>
    <div class="big">
      {block ? (
        <a href={`#/block/${BigInt(block.number)}`}>
          #{BigInt(block.number).toLocaleString('en-US')}
        </a>
      ) : (
        '—'
      )}
    </div>
    <div class="muted">
      <time data-ts={block ? String(BigInt(block.timestamp)) : undefined}>
        {block ? '' : 'not yet'}
      </time>
    </div>
  </div>
)

const Section: FC<
  PropsWithChildren<{ id: string; title: string; wide?: boolean; bodyClass?: string }>
> = (p) => (
  <section id={p.id} class={p.wide ? 'wide' : undefined}>
    <h2>{p.title}</h2>
    <div id={`${p.id}-body`} class={p.bodyClass}>
      {p.children ?? <p class="muted">loading …</p>}
    </div>
  </section>
)

/**
 * The status page's server-rendered shell (Hono JSX): the shard switcher, every section with its
 * heading, the heads as the node's JSON-RPC answered them for this request, the withdrawal form, and
 * the inline stylesheet and client script, which fills in the rest live. Nothing is fetched from
 * elsewhere.
 */
export const StatusPage: FC<StatusPageProps> = ({ shard, shards, heads, script }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${shard.name} (${shard.chainId}) · edge-l2 status`}</title>
      <link rel="icon" href="data:," />
      <style>{raw(styles)}</style>
    </head>
    <body>
      <header>
        <div class="bar">
          <h1>
            <a href="#/" style="color:inherit">
              {shard.name}
            </a>{' '}
            <span class="muted">chain {shard.chainId}</span>
          </h1>
          <nav aria-label="shards">
            {shards.map((s) => (
              <a
                href={`/chain/${s.chainId}`}
                class={s.chainId === shard.chainId ? 'here' : undefined}
              >
                {s.chainId}
              </a>
            ))}
          </nav>
          <span id="live" class="live">
            connecting …
          </span>
        </div>
      </header>
      <main>
        <div id="notice" />
        <div id="home" class="grid">
          <Section id="heads" title="Heads" wide>
            <div class="heads">
              <Head name="latest" block={heads.latest} />
              <Head name="safe" block={heads.safe} />
              <Head name="finalized" block={heads.finalized} />
            </div>
          </Section>
          <Section id="charts" title="Activity" wide bodyClass="charts" />
          <Section id="blocks" title="Latest blocks" />
          <Section id="txs" title="Latest transactions" />
          <section id="withdrawal" class="wide">
            <h2>Withdrawal lookup</h2>
            <form id="wd-form" class="lookup">
              <input
                id="wd-hash"
                name="hash"
                placeholder="L2 transaction hash (0x…)"
                autocomplete="off"
                spellcheck={false}
                aria-label="L2 transaction hash"
              />
              <button type="submit">Look up</button>
            </form>
          </section>
          <Section id="outputs" title="Outputs on L1" wide />
          <Section id="batches" title="Batches on L1" />
          <Section id="events" title="Rollup events (live)" />
          <Section id="verifiers" title="Verifiers" />
          <Section id="pool" title="Sequencer pool" />
        </div>
        <div id="detail" hidden />
      </main>
      <footer>
        Everything here comes from this node: its JSON-RPC and websocket at /chain/{shard.chainId},
        GET /chains, GET /network and GET /chain/{shard.chainId}/withdrawals/&lt;hash&gt;.
      </footer>
      <script>{raw(script)}</script>
    </body>
  </html>
)
