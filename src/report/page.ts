import { reportClient } from './client.js';
import type { ReportData } from './data.js';

/**
 * The report as one HTML file: the page's markup and style, the plotting library's code and CSS
 * (given by the caller, read from node_modules: src/ does no I/O), the data as JSON in a
 * `<script type="application/json">`, and the page's script. Nothing is fetched when it opens.
 */
export interface PageAssets {
  /** uPlot's IIFE build (defines the global `uPlot`) */
  chartJs: string;
  chartCss: string;
}

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Script text inside <script>: a literal `</script` in the library would end the element early. */
const scriptText = (js: string): string => js.replace(/<\/script/gi, '<\\/script');

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const STYLE = `
:root { --fg:#1d1d1f; --muted:#6b6b70; --line:#e3e3e8; --alert:#fde8e8; --hl:#fff3bf; --accent:#4269d0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; padding: 16px 28px 60px; max-width: 1180px; }
h1 { font-size: 22px; margin: 8px 0 2px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 4px 0; } h4 { margin: 10px 0 4px; font-size: 13px; }
.muted { color: var(--muted); } .mono, .cmd, .arg { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; }
.kv { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.kv .k { display: block; color: var(--muted); font-size: 12px; } .kv .v { font-size: 18px; font-weight: 600; word-break: break-all; }
.kv .v[data-k=captures], .kv .v[data-k=first], .kv .v[data-k=last] { font-size: 13px; font-weight: 500; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f6f8; position: sticky; top: 0; cursor: default; }
th[data-sort] { cursor: pointer; user-select: none; } th.asc::after { content: " ▲"; } th.desc::after { content: " ▼"; }
#sessions tbody tr, #clients tbody tr, #incidents tbody tr { cursor: pointer; }
tr.suspicious td { background: var(--alert); } tr.selected td { outline: 2px solid var(--accent); outline-offset: -2px; }
tbody tr:hover td { background: #eef2fb; }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 6px 0; }
.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
.filters select, .filters input { font: inherit; padding: 2px 4px; min-width: 120px; }
.scroll { max-height: 460px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
#detail { border: 1px solid var(--accent); border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
table.dialogue tr.hl td { background: var(--hl); font-weight: 600; } table.dialogue tr.pseudo td { color: var(--muted); }
.pe { font-family: ui-monospace, monospace; font-size: 12px; padding: 1px 4px; border-radius: 4px; }
.pe.placed { background: #e3f4e6; } .pe.missing { background: #f1f1f1; color: var(--muted); text-decoration: line-through; }
td.pe-at { color: #2c7a3b; font-family: ui-monospace, monospace; font-size: 12px; }
ul.reasons { margin: 4px 0 8px 18px; padding: 0; }
details { margin: 4px 0; } summary { cursor: pointer; }
.uplot { font-family: inherit; }
`;

const BODY = `
<h1>ftp-ids report</h1>
<p class="muted" id="generated"></p>
<section id="summary"><h2>Summary</h2><div class="grid"></div>
<p><span class="muted">servers by label:</span> <span id="servers-by-label"></span></p>
<div class="grid" id="eval-summary"></div>
<p id="threshold-text"></p><p class="muted" id="detail-note"></p><ul id="notices"></ul></section>
<section id="timeline"><h2>Timeline</h2><div id="timeline-chart"></div></section>
<section id="alerts"><h2>Alerts and sessions</h2>
<div class="filters">
<label>show<select id="f-which"><option value="alerts">alerts</option><option value="all">all sessions in the page</option></select></label>
<label>client<select id="f-client"><option value="">any</option></select></label>
<label>server<select id="f-server"><option value="">any</option></select></label>
<label>reason<select id="f-kind"><option value="">any</option></select></label>
<label>from (UTC)<input id="f-from" placeholder="2026-01-01 12:00:00"></label>
<label>to (UTC)<input id="f-to" placeholder="2026-01-01 13:00:00"></label>
<button id="f-reset" type="button">clear</button>
<span class="muted" id="sessions-count"></span></div>
<div class="scroll"><table id="sessions"><thead><tr></tr></thead><tbody></tbody></table></div>
<div id="detail" hidden></div>
<h3>Incidents <span class="muted" id="incidents-count"></span></h3><div class="scroll" id="incidents-box"><table id="incidents"><thead><tr><th>incident</th><th>client</th><th>first</th><th>last</th><th>sessions</th><th>reason</th></tr></thead><tbody></tbody></table></div>
</section>
<section id="clients-section"><h2>Clients</h2><p class="muted" id="clients-note"></p>
<div class="scroll"><table id="clients"><thead><tr><th>client</th><th>sessions</th><th>alerts</th><th>failed logins</th><th>commands</th><th>command bytes</th><th>servers</th><th>first seen</th><th>last seen</th></tr></thead><tbody></tbody></table></div></section>
<section id="model"><h2>The model</h2><p id="model-params"></p>
<h3>Learned limits</h3><p class="muted">The largest value of each feature among benign training sessions (cross-validated); beyond it the score grows exponentially.</p>
<table id="limits"><thead><tr></tr></thead><tbody></tbody></table><p class="muted mono" id="argmax"></p>
<h3>Patterns per server label</h3><div id="pattern-sets"></div></section>
<section id="eval"><h2>Evaluation against the labels</h2><table id="eval-table"><thead><tr></tr></thead><tbody></tbody></table><div id="roc-chart"></div></section>
<section id="scores"><h2>Score distribution</h2><div id="scores-chart"></div></section>
`;

export function renderReport(data: ReportData, assets: PageAssets): string {
  const title = `ftp-ids report: ${data.summary.alerts} alerts in ${data.summary.sessions} sessions`;
  // the page's script: a strict-mode IIFE; an error in it is reported on the console and on the page
  const main = `(() => { "use strict";
const data = JSON.parse(document.getElementById('report-data').textContent);
document.getElementById('generated').textContent = 'generated ' + data.generated + ' by ftp-ids report';
try { (${reportClient.toString()})(data, uPlot, document, window); }
catch (e) { console.error(e); document.body.insertAdjacentHTML('afterbegin', '<p style="color:red">report script failed: ' + String(e).replace(/</g, '&lt;') + '</p>'); }
})();`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${assets.chartCss}</style>
<style>${STYLE}</style>
</head><body>
${BODY}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${scriptText(assets.chartJs)}</script>
<script>${scriptText(main)}</script>
</body></html>
`;
}
