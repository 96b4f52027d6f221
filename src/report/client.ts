/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * The report page's script. It runs in the browser, not in Node: page.ts embeds its source text
 * (`reportClient.toString()`), so it must not use anything from outside its own body; the DOM comes
 * in as arguments (typed `any`: the project compiles without the DOM library). It renders the
 * embedded data once, then only filters and sorts rows already in memory (bounded by data.ts).
 * Charts are uPlot's (bundled into the page); the one line not drawn by a series — the threshold
 * over the score histogram — goes through uPlot's draw hook with uPlot's own coordinates.
 */
export function reportClient(data: any, uPlot: any, doc: any, win: any): void {
  const $ = (sel: string): any => doc.querySelector(sel);
  const el = (tag: string, attrs: Record<string, string> = {}, ...kids: any[]): any => {
    const e = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  };
  const iso = (t: number | null): string => (t === null || t === undefined ? '–' : new Date(t * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ''));
  const num = (x: number | null, d = 2): string => (x === null || x === undefined ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(d));
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  const s = data.summary;
  const palette = ['#4269d0', '#efb118', '#3ca951', '#a463f2', '#97bbf5', '#9c6b4e', '#9498a0', '#6cc5b0', '#ff8ab7', '#888'];

  // ---- summary
  const kv = (k: string, label: string, value: string): any => el('div', { class: 'kv' }, el('span', { class: 'k', text: label }), el('span', { class: 'v', 'data-k': k, text: value }));
  const sum = $('#summary .grid');
  sum.append(
    kv('captures', 'inputs', data.inputs.join(', ') || '(stdin)'),
    kv('sessions', 'sessions', String(s.sessions)),
    kv('judged', 'judged', String(s.judged)),
    kv('alerts', 'alerts (suspicious sessions)', String(s.alerts)),
    kv('incidents', 'incidents', String(s.incidents)),
    kv('clients', 'clients', String(s.clients)),
    kv('servers', 'servers', String(s.servers.length)),
    kv('unfit', 'not judged (server unknown to the model)', String(s.unfit)),
    kv('first', 'first session (UTC)', iso(s.first)),
    kv('last', 'last activity (UTC)', iso(s.last)),
    kv('threshold', 'threshold', num(s.threshold)),
  );
  const byLabel = Object.entries(s.serversByLabel).map(([l, n]) => `${l}: ${n}`).join(' · ');
  $('#servers-by-label').textContent = byLabel || '–';
  $('#threshold-text').textContent = s.thresholdText;
  const d = s.detail;
  $('#detail-note').textContent = `In detail on this page: ${d.alerts} alerts${d.alertsNotKept ? ` (${d.alertsNotKept} more not kept)` : ''} and a sample of ${d.sample} of the ${d.sampledFrom} other judged sessions.` +
    (data.source === 'verdicts' ? ' The input was a verdict stream: the sessions\' exchanges are not in it (run the report on the captures for the dialogues).' : '');
  if (data.eval) {
    const r = data.eval.results[0];
    $('#eval-summary').append(
      kv('attacks', 'attack sessions', String(r.attacks)),
      kv('benign', 'benign sessions', String(r.benign)),
      kv('tp', 'attacks detected', String(r.truePositives)),
      kv('fp', 'benign flagged', String(r.falsePositives)),
      kv('recall', 'recall', pct(r.recall)),
      kv('fpr', 'false-positive rate', pct(r.falsePositiveRate)),
      kv('precision', 'precision', pct(r.precision)),
      kv('auc', 'AUC', data.eval.auc === null ? 'n/a' : data.eval.auc.toFixed(3)),
    );
  } else $('#eval-summary').remove();
  if (data.notices.length) $('#notices').append(...data.notices.map((n: any) => el('li', { text: n.message })));

  const width = (): number => Math.max(320, Math.min(1100, doc.documentElement.clientWidth - 60));
  const charts: { u: any; w: () => number }[] = [];

  // ---- timeline: sessions per bin per server, alerts as marks on their own scale
  const tl = data.timeline;
  let onZoom = (_lo: number | null, _hi: number | null): void => {};
  if (tl.t.length) {
    const series: any[] = [{}];
    tl.series.forEach((x: any, i: number) => series.push({ label: x.name, stroke: palette[i % palette.length], width: 1.5, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }));
    series.push({ label: 'alerts', stroke: '#d62728', fill: '#d62728', scale: 'alerts', width: 0, paths: () => null, points: { show: true, size: 7, fill: '#d62728', stroke: '#d62728' } });
    const alerts = tl.alerts.map((n: number) => (n > 0 ? n : null));
    const u = new uPlot(
      {
        width: width(),
        height: 260,
        title: `sessions per ${tl.binSeconds >= 3600 ? `${tl.binSeconds / 3600} h` : tl.binSeconds >= 60 ? `${tl.binSeconds / 60} min` : `${tl.binSeconds} s`} per server (drag to zoom, double-click to reset; the zoom filters the tables)`,
        tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        scales: { x: { time: true }, alerts: { range: (_u: any, _lo: number, hi: number) => [0, Math.max(1, hi) * 1.1] } },
        axes: [{}, { label: 'sessions' }, { side: 1, scale: 'alerts', label: 'alerts', stroke: '#d62728', grid: { show: false } }],
        series,
        hooks: {
          setScale: [
            (uu: any, key: string) => {
              if (key !== 'x') return;
              const { min, max } = uu.scales.x;
              const full = min <= tl.t[0] && max >= tl.t[tl.t.length - 1];
              onZoom(full ? null : min, full ? null : max + tl.binSeconds);
            },
          ],
        },
      },
      [tl.t, ...tl.series.map((x: any) => x.counts), alerts],
      $('#timeline-chart'),
    );
    charts.push({ u, w: width });
  } else $('#timeline-chart').textContent = 'No session has a timestamp.';

  // ---- sessions table: filter, sort, open
  const rows: any[] = data.sessions;
  const clientSel = $('#f-client');
  const serverSel = $('#f-server');
  const kindSel = $('#f-kind');
  const opt = (sel: any, values: string[]): void => {
    for (const v of values) sel.append(el('option', { value: v, text: v }));
  };
  opt(clientSel, [...new Set(rows.map((r) => r.client))].sort());
  opt(serverSel, [...new Set(rows.map((r) => r.server))].sort());
  opt(kindSel, [...new Set(rows.flatMap((r) => r.kinds))].sort() as string[]);
  const from = $('#f-from');
  const to = $('#f-to');
  const which = $('#f-which');
  let sortKey = 'start';
  let sortDir = 1;
  const parseTime = (v: string): number | null => {
    if (!v.trim()) return null;
    const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.trim().replace(' ', 'T')}Z`);
    return Number.isNaN(t) ? null : t / 1000;
  };
  const cols: [string, string, (r: any) => string][] = [
    ['start', 'start (UTC)', (r) => iso(r.start)],
    ['client', 'client', (r) => `${r.client}:${r.clientPort}`],
    ['server', 'server', (r) => r.server],
    ['label', 'label', (r) => r.label],
    ['verdict', 'verdict', (r) => (r.updated ? `${r.verdict} (incident)` : r.verdict)],
    ['score', 'score', (r) => num(r.score)],
    ['nExchanges', 'exchanges', (r) => String(r.nExchanges)],
    ['kinds', 'reasons', (r) => r.kinds.join(', ')],
  ];
  const head = $('#sessions thead tr');
  for (const [k, label] of cols) {
    const th = el('th', { 'data-sort': k, text: label });
    th.addEventListener('click', () => {
      sortDir = sortKey === k ? -sortDir : k === 'score' ? -1 : 1;
      sortKey = k;
      render();
    });
    head.append(th);
  }
  const body = $('#sessions tbody');
  const LIMIT = 500;
  let selected: string | null = null;
  function filtered(): any[] {
    const c = clientSel.value;
    const sv = serverSel.value;
    const k = kindSel.value;
    const lo = parseTime(from.value);
    const hi = parseTime(to.value);
    const w = which.value;
    return rows.filter(
      (r) =>
        (c === '' || r.client === c) &&
        (sv === '' || r.server === sv) &&
        (k === '' || r.kinds.includes(k)) &&
        (w === 'all' || r.verdict === 'suspicious') &&
        (lo === null || (r.start !== null && r.start >= lo)) &&
        (hi === null || (r.start !== null && r.start < hi)),
    );
  }
  function render(): void {
    const list = filtered();
    const key = sortKey;
    list.sort((a, b) => {
      const x = key === 'kinds' ? a.kinds.join() : a[key];
      const y = key === 'kinds' ? b.kinds.join() : b[key];
      return (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1) * sortDir || (a.id < b.id ? -1 : 1);
    });
    for (const th of doc.querySelectorAll('#sessions th')) th.className = th.dataset.sort === sortKey ? (sortDir > 0 ? 'asc' : 'desc') : '';
    body.replaceChildren(
      ...list.slice(0, LIMIT).map((r) => {
        const tr = el('tr', { 'data-id': r.id, 'data-client': r.client, class: `${r.verdict}${r.id === selected ? ' selected' : ''}` }, ...cols.map(([, , f]) => el('td', { text: f(r) })));
        tr.addEventListener('click', () => open(r));
        return tr;
      }),
    );
    $('#sessions-count').textContent = `${list.length} session${list.length === 1 ? '' : 's'}${list.length > LIMIT ? ` (first ${LIMIT} shown; narrow the filter)` : ''}`;
    if (data.incidents.length) renderIncidents();
  }
  for (const f of [clientSel, serverSel, kindSel, which]) f.addEventListener('change', render);
  for (const f of [from, to]) f.addEventListener('input', render);
  $('#f-reset').addEventListener('click', () => {
    for (const f of [clientSel, serverSel, kindSel, from, to]) f.value = '';
    render();
  });
  onZoom = (lo, hi) => {
    from.value = lo === null ? '' : iso(lo);
    to.value = hi === null ? '' : iso(hi);
    render();
  };

  function open(r: any): void {
    selected = r.id;
    const box = $('#detail');
    box.hidden = false;
    box.replaceChildren(
      el('h3', { text: `${r.client}:${r.clientPort} → ${r.server} (${r.label || 'no label'}) — ${r.verdict}${r.updated ? ' (incident)' : ''}, score ${num(r.score)} (threshold ${num(r.threshold)})` }),
      el('p', { class: 'muted', text: `flow ${r.id} · ${iso(r.start)} – ${iso(r.end)} · ${r.nExchanges} exchanges · pattern set: ${r.model}` }),
    );
    if (r.texts.length) box.append(el('h4', { text: 'why' }), el('ul', { class: 'reasons' }, ...r.texts.map((t: string) => el('li', { text: t }))));
    if (r.pattern) {
      const p = el('p', { class: 'pattern' }, el('span', { class: 'muted', text: 'best pattern: ' }));
      r.pattern.elements.forEach((e: string[], i: number) => {
        const at = r.pattern.at[i];
        p.append(el('span', { class: `pe ${at === null ? 'missing' : 'placed'}`, title: at === null ? 'not placed' : at === -1 ? 'the session\'s end' : `exchange ${at}`, text: `{${e.join(',')}}` }), ' ');
      });
      box.append(p);
    } else box.append(el('p', { class: 'muted', text: 'best pattern: none (the session supports no pattern of its model)' }));
    if (!r.exchanges) {
      box.append(el('p', { class: 'muted', text: data.source === 'verdicts' ? 'The exchanges are not in a verdict stream.' : 'The exchanges were no longer held: an incident named this session long after it ended (the report keeps the last sessions only, counted as report.recentSessionsForgotten).' }));
    } else {
      const t = el('table', { class: 'dialogue' }, el('thead', {}, el('tr', {}, ...['#', 'time (UTC)', 'command', 'argument', 'reply', 'pattern'].map((h) => el('th', { text: h })))));
      const tb = el('tbody');
      for (const x of r.exchanges) {
        tb.append(
          el(
            'tr',
            { class: `${x.hl ? 'hl' : ''}${x.cmd.startsWith('<') ? ' pseudo' : ''}`, 'data-index': String(x.i) },
            el('td', { text: String(x.i) }),
            el('td', { text: iso(x.t) }),
            el('td', { class: 'cmd', text: x.cmd }),
            el('td', { class: 'arg', text: x.arg }),
            el('td', { text: x.codes.join(' ') }),
            el('td', { class: 'pe-at', text: x.pe >= 0 ? `{${r.pattern.elements[x.pe].join(',')}}` : '' }),
          ),
        );
      }
      t.append(tb);
      box.append(t);
      if (r.exchangesOmitted) box.append(el('p', { class: 'muted', text: `… ${r.exchangesOmitted} more exchanges not in the page` }));
    }
    for (const tr of body.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.id === r.id);
    box.scrollIntoView({ block: 'nearest' });
  }

  // ---- incidents: the same client, reason and time filters; sortable
  const inc = $('#incidents tbody');
  let incKey = 'first';
  let incDir = 1;
  const incCols: [string, (x: any) => any][] = [
    ['id', (x) => x.id],
    ['client', (x) => x.client],
    ['first', (x) => x.first],
    ['last', (x) => x.last],
    ['sessions', (x) => x.sessions.length],
    ['reason', (x) => x.reason.kind],
  ];
  doc.querySelectorAll('#incidents thead th').forEach((th: any, i: number) => {
    th.dataset.sort = incCols[i]![0];
    th.addEventListener('click', () => {
      incDir = incKey === incCols[i]![0] ? -incDir : 1;
      incKey = incCols[i]![0];
      renderIncidents();
    });
  });
  function renderIncidents(): void {
    const c = clientSel.value;
    const k = kindSel.value;
    const lo = parseTime(from.value);
    const hi = parseTime(to.value);
    const get = incCols.find(([key]) => key === incKey)![1];
    const list = data.incidents
      .filter((x: any) => (c === '' || x.client === c) && (k === '' || k === 'incident' || x.reason.kind === k) && (lo === null || x.last >= lo) && (hi === null || x.first < hi))
      .sort((a: any, b: any) => (get(a) < get(b) ? -1 : get(a) > get(b) ? 1 : 0) * incDir);
    for (const th of doc.querySelectorAll('#incidents thead th')) th.className = th.dataset.sort === incKey ? (incDir > 0 ? 'asc' : 'desc') : '';
    inc.replaceChildren(
      ...list.map((x: any) => {
        const tr = el('tr', { 'data-client': x.client }, el('td', { text: x.id }), el('td', { text: x.client }), el('td', { text: iso(x.first) }), el('td', { text: iso(x.last) }), el('td', { text: String(x.sessions.length) }), el('td', { text: x.reason.kind }));
        tr.addEventListener('click', () => {
          clientSel.value = x.client;
          from.value = iso(x.first);
          to.value = iso(x.last + 1);
          which.value = 'all';
          render();
          $('#sessions').scrollIntoView();
        });
        return tr;
      }),
    );
    $('#incidents-count').textContent = `${list.length} of ${data.incidents.length}`;
  }
  if (data.incidents.length === 0) $('#incidents-box').replaceWith(el('p', { class: 'muted', text: 'No incident (no client crossed a window limit of the training).' }));

  // ---- clients
  const cb = $('#clients tbody');
  const crow = (c: any): any => {
    const tr = el('tr', { 'data-client': c.client }, ...[c.client, c.sessions, c.alerts, c.failedLogins, c.commands, c.commandBytes, c.servers, iso(c.first), iso(c.last)].map((v) => el('td', { text: String(v) })));
    tr.addEventListener('click', () => {
      if ([...clientSel.options].some((o: any) => o.value === c.client)) clientSel.value = c.client;
      which.value = 'all';
      render();
      $('#sessions').scrollIntoView();
    });
    return tr;
  };
  cb.append(...data.clients.slice(0, 2000).map(crow));
  if (s.clients > data.clients.length) $('#clients-note').textContent = `${data.clients.length} of ${s.clients} clients listed (the first seen).`;

  // ---- model
  const m = data.model;
  $('#model-params').textContent =
    m.threshold === null
      ? 'No calibrated detector in this model.'
      : `threshold ${num(m.threshold)} for a target false-positive rate of ${pct(m.targetFpr)}, ${m.folds}-fold cross-validation over ${m.trainingSessions} benign training sessions; items ${m.items}; client window ${m.windowSeconds} s.`;
  const labels = [...new Set(m.limits.flatMap((l: any) => Object.keys(l.byLabel)))] as string[];
  const lt = $('#limits');
  lt.querySelector('thead tr').append(...['feature', 'all servers', ...labels].map((h) => el('th', { text: h })));
  lt.querySelector('tbody').append(...m.limits.map((l: any) => el('tr', {}, el('td', { text: l.feature }), el('td', { text: num(l.global) }), ...labels.map((k) => el('td', { text: num(l.byLabel[k] ?? null) })))));
  if (m.maxArgLength.length) $('#argmax').textContent = 'longest argument in training: ' + m.maxArgLength.map((x: any) => `${x.command} ${x.chars}`).join(' · ');
  const sets = $('#pattern-sets');
  for (const set of m.sets) {
    const det = el('details', {}, el('summary', { text: `${set.name}: ${set.patterns} patterns from ${set.sessions} sessions${set.patterns > set.top.length ? ` (the ${set.top.length} most specific shown)` : ''}` }));
    det.append(el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'pattern' }), el('th', { text: 'support' }), el('th', { text: 'items' }))), el('tbody', {}, ...set.top.map((p: any) => el('tr', {}, el('td', { class: 'mono', text: p.pattern }), el('td', { text: String(p.support) }), el('td', { text: String(p.size) }))))));
    sets.append(det);
  }

  // ---- eval table and ROC
  if (data.eval) {
    const ev = data.eval;
    const t = $('#eval-table');
    t.querySelector('thead tr').append(...['scenario', 'class', 'sessions', ...ev.results.flatMap((r: any) => [`${r.name}: detected`, 'rate', 'precision'])].map((h) => el('th', { text: h })));
    const first = ev.results[0];
    for (const sc of first.scenarios) {
      const cells = [sc.scenario, sc.cls, String(sc.sessions)];
      for (const r of ev.results) {
        const x = r.scenarios.find((y: any) => y.scenario === sc.scenario && y.cls === sc.cls);
        cells.push(String(x.detected), `${x.cls === 'attack' ? 'R' : 'F'} ${pct(x.rate)}`, x.precision === null ? '' : pct(x.precision));
      }
      t.querySelector('tbody').append(el('tr', { class: sc.cls }, ...cells.map((c) => el('td', { text: c }))));
    }
    const roc = new uPlot(
      {
        width: Math.min(520, width()),
        height: 360,
        title: `ROC (AUC ${ev.auc === null ? 'n/a' : ev.auc.toFixed(3)}), the calibrated point marked`,
        scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
        axes: [{ label: 'false-positive rate' }, { label: 'recall' }],
        series: [{ label: 'FPR' }, { label: 'ftp-ids', stroke: '#4269d0', width: 2 }, { label: 'chance', stroke: '#bbb', dash: [4, 4] }, { label: 'calibrated', stroke: '#d62728', width: 0, paths: () => null, points: { show: true, size: 9, fill: '#d62728' } }],
      },
      (() => {
        // uPlot wants x ascending: the curve is, by construction (fpr grows as the threshold falls)
        const xs = ev.roc.map((p: any) => p.fpr);
        const cal = first.falsePositiveRate;
        const calY = xs.map((x: number) => (x === cal ? first.recall : null));
        if (!xs.includes(cal)) {
          const k = xs.findIndex((x: number) => x > cal);
          const at = k < 0 ? xs.length : k;
          xs.splice(at, 0, cal);
          calY.splice(at, 0, first.recall);
          const ys = ev.roc.map((p: any) => p.recall);
          ys.splice(at, 0, null);
          return [xs, ys, xs.map((x: number) => x), calY];
        }
        return [xs, ev.roc.map((p: any) => p.recall), xs.map((x: number) => x), calY];
      })(),
      $('#roc-chart'),
    );
    charts.push({ u: roc, w: () => Math.min(520, width()) });
  } else $('#eval').hidden = true;

  // ---- score distribution: share of sessions per score bin, training (CV) vs judged, threshold line
  const sc = data.scores;
  const share = (xs: number[]): number[] => {
    const n = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => (n === 0 ? 0 : x / n));
  };
  const mids = sc.edges.slice(0, -1).map((e: number, i: number) => (e + sc.edges[i + 1]) / 2);
  const bars = uPlot.paths.bars({ size: [0.45, 40], align: 0 });
  const hist = new uPlot(
    {
      width: width(),
      height: 260,
      title: `anomaly score: benign training sessions (cross-validated, ${sc.training.reduce((a: number, b: number) => a + b, 0)}) vs judged sessions (${sc.judgedKept}${sc.judgedKept < sc.judgedAll ? ` sampled of ${sc.judgedAll}` : ''}); threshold in red`,
      scales: { x: { time: false, range: [sc.edges[0], sc.edges[sc.edges.length - 1]] } },
      axes: [{ label: 'score (nats); the last bin holds everything above' }, { label: 'share of sessions', values: (_u: any, v: number[]) => v.map((x) => `${Math.round(x * 100)}%`) }],
      series: [
        { label: 'score' },
        { label: 'training (benign, CV)', stroke: '#3ca951', fill: '#3ca95199', paths: bars, points: { show: false } },
        { label: 'judged', stroke: '#4269d0', fill: '#4269d099', paths: uPlot.paths.bars({ size: [0.45, 40], align: 0 }), points: { show: false } },
      ],
      hooks: {
        draw: [
          (u: any) => {
            if (sc.threshold === null) return;
            const x = u.valToPos(sc.threshold, 'x', true);
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#d62728';
            ctx.lineWidth = 2 * (win.devicePixelRatio || 1);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    },
    [mids, share(sc.training), share(sc.judged)],
    $('#scores-chart'),
  );
  charts.push({ u: hist, w: width });

  win.addEventListener('resize', () => {
    for (const c of charts) c.u.setSize({ width: c.w(), height: c.u.height });
  });

  render();
  doc.body.dataset.ready = '1';
  // what bench/report.ts measures: navigation start to here (data parsed, tables and charts drawn)
  win.performance?.mark?.('report-ready');
}
