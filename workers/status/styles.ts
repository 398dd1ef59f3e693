/**
 * The status page's stylesheet, inlined in the page (no external request): system fonts, a light
 * and a dark scheme, one column on a phone and two from 900 px; wide tables scroll inside their
 * card, never the page.
 */
export const styles = `
:root {
  --bg: #f6f7f9; --card: #fff; --ink: #17202a; --muted: #667085; --line: #e4e7ec;
  --accent: #3451b2; --ok: #067647; --ok-bg: #ecfdf3; --warn: #b54708; --warn-bg: #fffaeb;
  --bad: #b42318; --bad-bg: #fef3f2; --plain-bg: #f2f4f7; --bar: #6172f3;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115; --card: #171a21; --ink: #e6e8ec; --muted: #98a2b3; --line: #2a2f3a;
    --accent: #8098f9; --ok: #75e0a7; --ok-bg: #053321; --warn: #fec84b; --warn-bg: #4e1d09;
    --bad: #fda29b; --bad-bg: #55160c; --plain-bg: #252a34; --bar: #8098f9;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header { background: var(--card); border-bottom: 1px solid var(--line); }
.bar { max-width: 1200px; margin: 0 auto; padding: 12px 16px; display: flex; flex-wrap: wrap;
  gap: 8px 16px; align-items: baseline; }
.bar h1 { font-size: 18px; margin: 0; font-weight: 650; }
.bar nav { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 14px; }
.bar nav a.here { color: var(--ink); font-weight: 600; }
.live { margin-left: auto; font-size: 13px; color: var(--muted); }
.live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%;
  background: var(--muted); margin-right: 6px; }
.live.on::before { background: #12b76a; }
main { max-width: 1200px; margin: 0 auto; padding: 16px; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; }
@media (min-width: 900px) { .grid { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  .wide { grid-column: 1 / -1; } }
section, .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 16px; min-width: 0; }
section h2 { font-size: 15px; margin: 0 0 10px; font-weight: 650; }
h2 .nav { font-size: 14px; font-weight: 400; margin-left: 12px; }
h3 { font-size: 14px; margin: 16px 0 8px; }
.heads { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 12px; }
.head .label { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.head .big { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.head .muted { font-size: 13px; }
@media (max-width: 480px) { .head .big { font-size: 19px; } }
.role { margin: 12px 0 0; font-size: 14px; }
.muted { color: var(--muted); }
.mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.break { word-break: break-all; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; }
th, td { padding: 6px 8px 6px 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px;
  font-weight: 500; background: var(--plain-bg); white-space: nowrap; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.fields { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 0 0 8px; }
.fields dt { color: var(--muted); font-size: 13px; }
.fields dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 480px) { .fields { grid-template-columns: minmax(0, 1fr); }
  .fields dd { margin-bottom: 6px; } }
.charts > div { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; }
.chart { margin: 0; }
.chart figcaption { display: flex; justify-content: space-between; gap: 8px; font-size: 13px; flex-wrap: wrap; }
.chart svg { width: 100%; height: 64px; display: block; border-bottom: 1px solid var(--line); }
.chart rect { fill: var(--bar); }
.chart rect:hover { opacity: .7; }
form.lookup { display: flex; gap: 8px; flex-wrap: wrap; }
form.lookup input { flex: 1 1 240px; min-width: 0; padding: 8px 10px; border: 1px solid var(--line);
  border-radius: 8px; background: var(--bg); color: var(--ink); font: 13px ui-monospace, Menlo, monospace; }
button { padding: 8px 14px; border: 0; border-radius: 8px; background: var(--accent); color: #fff;
  font: inherit; font-size: 14px; cursor: pointer; }
h4 button { padding: 2px 10px; font-size: 12px; margin-left: 8px; }
pre.data, code.data { display: block; white-space: pre-wrap; word-break: break-all; background: var(--bg);
  padding: 8px; border-radius: 6px; max-height: 320px; overflow: auto; margin: 0; }
.steps { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; padding: 0; margin: 8px 0; font-size: 12px; }
.steps li { padding: 2px 8px; border-radius: 999px; background: var(--plain-bg); color: var(--muted); }
.steps li.done { color: var(--ok); background: var(--ok-bg); }
.steps li.now { color: #fff; background: var(--accent); }
.withdrawal { margin-top: 12px; }
.left { font-weight: 500; }
.log { border-top: 1px solid var(--line); padding-top: 8px; margin-top: 8px; }
.error { color: var(--bad); }
#detail .view { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
#detail h2 { font-size: 18px; margin: 0 0 12px; }
footer { max-width: 1200px; margin: 0 auto; padding: 0 16px 24px; font-size: 13px; color: var(--muted); }
`
