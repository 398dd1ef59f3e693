import { SELF } from 'cloudflare:test'
import { parseEther } from 'viem'
import { describe, expect, test } from 'vitest'
import { call, clients } from './helpers.js'

/** GET `path` as a browser asks for it. */
async function page(path: string): Promise<{ status: number; type: string | null; html: string }> {
  const res = await SELF.fetch(`http://node${path}`, {
    headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
  })
  return { status: res.status, type: res.headers.get('content-type'), html: await res.text() }
}

/** The heads the page rendered: `data-head`, `data-number` and `data-hash` of each head card. */
function renderedHeads(html: string): Record<string, { number: string; hash: string }> {
  const out: Record<string, { number: string; hash: string }> = {}
  for (const m of html.matchAll(
    /data-head="(\w+)" data-number="(\d+)" data-hash="(0x[0-9a-f]{64})"/g,
  ))
    out[m[1]] = { number: m[2], hash: m[3] }
  return out
}

describe('status page', () => {
  test('default: a browser GET of / gets the first shard’s page, with the heads JSON-RPC answers', async () => {
    const c = clients(901)
    const hash = await c.wallet.sendTransaction({
      to: '0x000000000000000000000000000000000000dEaD',
      value: parseEther('0.001'),
    })
    await c.public.waitForTransactionReceipt({ hash })

    const res = await page('/')
    expect(res.status).toBe(200)
    expect(res.type).toMatch(/^text\/html/)
    expect(res.html.startsWith('<!doctype html>')).toBe(true)
    expect(res.html).toContain('<title>edge-l2 A (901) · edge-l2 status</title>')

    // The seam: what the page shows is what eth_getBlockByNumber answers over POST.
    const heads = renderedHeads(res.html)
    for (const tag of ['latest', 'safe', 'finalized'] as const) {
      const { result } = await call('eth_getBlockByNumber', [tag, false])
      expect(heads[tag], tag).toEqual({ number: String(BigInt(result.number)), hash: result.hash })
    }
    expect(BigInt(heads.latest.number)).toBeGreaterThan(0n)
  })

  test('behavior: /chain/<id> shows that shard, and the client reads that shard’s endpoints', async () => {
    const res = await page('/chain/902')
    expect(res.status).toBe(200)
    expect(res.html).toContain('<title>edge-l2 B (902) · edge-l2 status</title>')
    expect(res.html).toContain('{"chainId":902,"rpcPath":"/chain/902"}')
    // Everything is inline: no script, stylesheet or font from anywhere else.
    expect(res.html).not.toMatch(
      /<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org)/,
    )
  })

  test('behavior: an unknown shard is the JSON-RPC 404 as before', async () => {
    const res = await page('/chain/999')
    expect(res.status).toBe(404)
    expect(res.type).toMatch(/^application\/json/)
  })

  test('behavior: JSON-RPC POSTs and GETs without text/html keep their answers', async () => {
    expect(await call('eth_chainId', [], '/')).toMatchObject({ result: '0x385' })
    const get = await SELF.fetch('http://node/chain/901')
    expect(get.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await get.json()).toEqual({
      chainId: 901,
      rpc: 'POST JSON-RPC 2.0 here, or open a websocket',
    })
    const json = await SELF.fetch('http://node/', { headers: { accept: 'application/json' } })
    expect(await json.json()).toMatchObject({ chainId: 901 })
  })
})
