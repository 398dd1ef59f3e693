import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { createWalletClient, defineChain, http, parseEther, publicActions } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { l2ToL1MessagePasserPredeployAbi } from '../../generated/contracts/L2ToL1MessagePasserPredeploy.js'
import { getFreePort } from './processes.js'

/**
 * The status page in a real browser (Debian's chromium through playwright-core) against the devnet
 * `npm start` runs: scripts/start.mjs in a process group of its own, on ports no other test uses
 * (L1 8745, nodes 9745–9747) and with its state in a temporary directory, stopped by its pid.
 * Screenshots go to artifacts/status-page/.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CHROMIUM = '/usr/bin/chromium'
const L1_PORT = 8745
const NODE_PORT = 9745
const url = `http://127.0.0.1:${NODE_PORT}`
const shots = path.join(root, 'artifacts', 'status-page')
const mnemonic = 'test test test test test test test test test test test junk'
const STAGES = [
  'waiting-to-prove',
  'ready-to-prove',
  'waiting-to-finalize',
  'ready-to-finalize',
  'finalized',
]

let dir: string
let devnet: ReturnType<typeof spawn> | undefined
let exited: Promise<unknown>
const log: string[] = []
let browser: BrowserContext
/** What went wrong in the page: console errors, uncaught errors, failed or refused requests. */
const problems: string[] = []

const l2 = defineChain({
  id: 901,
  name: 'edge-l2 A',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [`${url}/chain/901`] } },
})
const wallet = (index: number) =>
  createWalletClient({
    account: mnemonicToAccount(mnemonic, { addressIndex: index }),
    chain: l2,
    transport: http(),
  }).extend(publicActions)

/** Every node npm start runs answers GET /chains. */
async function devnetUp(): Promise<boolean> {
  for (const port of [NODE_PORT, NODE_PORT + 1, NODE_PORT + 2]) {
    const res = await fetch(`http://127.0.0.1:${port}/chains`, {
      signal: AbortSignal.timeout(3_000),
    })
    if (!res.ok) return false
    await res.body?.cancel()
  }
  return true
}

async function openPage(
  width: number,
  height: number,
  hash = '',
  before?: (page: Page) => Promise<unknown>,
): Promise<Page> {
  const page = await browser.newPage()
  await before?.(page)
  await page.setViewportSize({ width, height })
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`))
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`))
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`))
  await page.goto(`${url}/${hash}`)
  await page.locator('#live.on').waitFor({ timeout: 30_000 })
  return page
}

/** The highest block number the page lists under Latest blocks. */
const topBlock = async (page: Page) =>
  Number(await page.locator('#blocks-body tbody tr:first-child td:first-child').innerText())

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed (${CHROMIUM}): apt-get install -y chromium (.ci/run installs it in CI)`,
    )
  for (const port of [L1_PORT, NODE_PORT, NODE_PORT + 1, NODE_PORT + 2])
    await getFreePort(port).catch(() => {
      throw new Error(`port ${port} is in use: the status page test needs 8745 and 9745–9747`)
    })
  dir = mkdtempSync(path.join(tmpdir(), 'edge-l2-status-'))
  const args = ['scripts/start.mjs', '--reset', '--dir', path.join(dir, 'devnet')]
  args.push('--l1-port', String(L1_PORT), '--port', String(NODE_PORT))
  devnet = spawn(process.execPath, args, { cwd: root, detached: true, stdio: 'pipe' })
  for (const s of [devnet.stdout!, devnet.stderr!]) s.on('data', (d) => log.push(String(d)))
  exited = new Promise((resolve) => devnet!.on('exit', resolve))
  let gone = false
  void exited.then(() => (gone = true))
  for (const end = Date.now() + 240_000; !(await devnetUp().catch(() => false));) {
    if (gone || Date.now() > end)
      throw new Error(`npm start's devnet did not come up:\n${log.join('').slice(-4000)}`)
    await sleep(1_000)
  }
  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  mkdirSync(shots, { recursive: true })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  if (devnet?.pid) {
    // start.mjs stops its nodes and anvil on SIGTERM (each in a group of its own, with a watchdog).
    try {
      process.kill(-devnet.pid, 'SIGTERM')
    } catch {}
    const done = await Promise.race([exited.then(() => true), sleep(45_000).then(() => false)])
    if (!done)
      try {
        process.kill(-devnet.pid, 'SIGKILL')
      } catch {}
  }
  // Stopped means its ports are free again (anvil and every wrangler dev gone).
  for (const port of [L1_PORT, NODE_PORT, NODE_PORT + 1, NODE_PORT + 2])
    for (let end = Date.now() + 15_000; Date.now() < end; await sleep(250))
      if (
        await getFreePort(port).then(
          () => true,
          () => false,
        )
      )
        break
  if (dir) rmSync(dir, { recursive: true, force: true })
}, 90_000)

describe('status page', () => {
  test('default: loads with no console error or failed request; a new block appears without a reload', async () => {
    const page = await openPage(1280, 900)
    await page.locator('#blocks-body tbody tr').first().waitFor()
    const before = await topBlock(page)
    const headNumber = Number(
      await page
        .locator('[data-head="latest"] .big')
        .innerText()
        .then((t) => t.replace(/[#,]/g, '')),
    )
    expect(headNumber).toBeGreaterThan(0)

    // A transaction sealed after the page loaded shows up in its block and the transaction list.
    const sender = wallet(4)
    const hash = await sender.sendTransaction({
      to: '0x000000000000000000000000000000000000dEaD',
      value: 1n,
    })
    const receipt = await sender.waitForTransactionReceipt({ hash })
    await page
      .locator(`#blocks-body a[href="#/block/${receipt.blockNumber}"]`)
      .waitFor({ timeout: 30_000 })
    await page.locator(`#txs-body a[href="#/tx/${hash}"]`).waitFor({ timeout: 30_000 })
    expect(await topBlock(page)).toBeGreaterThan(before)

    // The network sections fill from GET /network.
    await page.locator('#verifiers-body table').waitFor({ timeout: 30_000 })
    await page.locator('#outputs-body table').waitFor({ timeout: 30_000 })
    await page.locator('#pool-body table').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: path.join(shots, 'desktop.png'), fullPage: true })

    // Click through to the transaction view.
    await page.locator(`#txs-body a[href="#/tx/${hash}"]`).click()
    await page.locator('#detail h2').waitFor()
    expect(await page.locator('#detail').innerText()).toContain(hash)
    expect(await page.locator('#home').isVisible()).toBe(false)
    await page.screenshot({ path: path.join(shots, 'desktop-transaction.png'), fullPage: true })
    await page.locator(`#detail a[href="#/block/${receipt.blockNumber}"]`).first().click()
    await page
      .locator('#detail h2', { hasText: `Block #${receipt.blockNumber.toLocaleString('en-US')}` })
      .waitFor()
    // Who sealed it: in the pool, the operator whose node sequenced (its fee recipient).
    const { miner } = await sender.getBlock({ blockNumber: receipt.blockNumber })
    expect(await page.locator('#detail').innerText()).toContain(miner)
    await page.screenshot({ path: path.join(shots, 'desktop-block.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })

  test('behavior: a withdrawal is found by its hash and its status shown', async () => {
    const sender = wallet(5)
    const hash = await sender.writeContract({
      address: '0x4200000000000000000000000000000000000016',
      abi: l2ToL1MessagePasserPredeployAbi,
      functionName: 'initiateWithdrawal',
      args: [sender.account.address, 100_000n, '0x'],
      value: parseEther('0.01'),
    })
    const receipt = await sender.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('success')

    const page = await openPage(1280, 900)
    await page.locator('#wd-hash').fill(hash)
    await page.locator('#wd-form button').click()
    const card = page.locator('#detail .withdrawal[data-status]')
    await card.waitFor({ timeout: 30_000 })
    expect(STAGES).toContain(await card.getAttribute('data-status'))
    expect(await card.innerText()).toContain(receipt.blockNumber.toString())
    await page.screenshot({ path: path.join(shots, 'desktop-withdrawal.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })

  test('behavior: challenges show their bond, deadline and outcome; the dispute period is L1’s', async () => {
    // The devnet's honest verifiers open no challenge, and a real one would freeze an output the
    // other tests wait on: the node's own GET /network answer reaches the page with five challenges
    // added (one per outcome, two of them open: before and after the deadline) against its latest
    // output, each deadline relative to the L1 time of that answer.
    const outcomes = ['open', 'open', 'upheld', 'dismissed', 'expired'] as const
    let served: { params: { disputePeriod: string } } | undefined
    const page = await openPage(1280, 900, '', (p) =>
      p.route('**/network', async (route) => {
        const res = await route.fetch()
        const report = await res.json()
        const now = Number(report.l1Timestamp)
        // An answer without shards ({ error }: L1 slow) passes as it is; the page asks again.
        for (const shard of report.shards ?? []) {
          const latest = shard.outputs[0]
          shard.challenges = outcomes.map((outcome, i) => ({
            id: String(100 + i),
            l2BlockNumber: latest?.l2BlockNumber ?? '0',
            outputRoot: latest?.outputRoot ?? `0x${'11'.repeat(32)}`,
            challenger: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
            bond: report.params.challengeBond,
            createdAt: String(now - 10),
            deadline: String(i === 0 ? now + 45 : now - 1),
            outcome,
          }))
        }
        if (report.shards) served = report
        await route.fulfill({ response: res, json: report })
      }),
    )
    const rows = page.locator('#verifiers-body table:has(th:text-is("deadline")) tbody tr')
    await rows.nth(outcomes.length - 1).waitFor({ timeout: 30_000 })
    const cells = async (i: number) =>
      (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim())
    // #, L2 block, challenger, bond, deadline, outcome.
    expect((await cells(0)).slice(3)).toEqual(['0.1 ETH', 'upholdable for 45 s', 'open'])
    expect((await cells(1)).slice(3)).toEqual(['0.1 ETH', 'passed: expires on resolve', 'open'])
    for (const i of [2, 3, 4])
      expect((await cells(i)).slice(3)).toEqual(['0.1 ETH', 'closed', outcomes[i]])
    expect(
      await rows
        .locator('[data-outcome]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-outcome'))),
    ).toEqual([...outcomes])
    // The parameters come from L1 as the node read them: the devnet's dispute period is 60 s.
    expect(served?.params.disputePeriod).toBe('60')
    const dd = page.locator('#verifiers-body dt:text-is("dispute period") + dd')
    expect(await dd.innerText()).toBe('1 min')
    await page.screenshot({ path: path.join(shots, 'desktop-challenges.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })

  test('behavior: at a phone’s width (390×844) nothing overflows and every section shows', async () => {
    const page = await openPage(390, 844)
    await page.locator('#blocks-body tbody tr').first().waitFor()
    await page.locator('#verifiers-body table').waitFor({ timeout: 30_000 })
    const [scroll, inner] = (await page.evaluate(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    )) as [number, number]
    expect(scroll).toBeLessThanOrEqual(inner)
    for (const id of [
      'heads',
      'charts',
      'blocks',
      'txs',
      'withdrawal',
      'outputs',
      'verifiers',
      'pool',
    ])
      expect(await page.locator(`#${id}`).isVisible(), id).toBe(true)
    await page.screenshot({ path: path.join(shots, 'phone.png') })
    await page.screenshot({ path: path.join(shots, 'phone-full.png'), fullPage: true })
    expect(problems).toEqual([])
    await page.close()
  })
})
