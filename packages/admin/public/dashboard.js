// The slabcached dashboard: polls the admin's JSON routes, keeps the last ten minutes in
// memory for the charts (uPlot), and redraws the cards and the slab-class bars each time.
// Rates are deltas between two polls, so a `stats reset` shows as a gap, never as a negative.

const params = new URLSearchParams(location.search);
/** ?interval=<ms> polls faster or slower than once a second. */
const POLL_MS = Math.max(100, Number(params.get('interval')) || 1000);
const WINDOW_MS = 10 * 60 * 1000;
const MiB = 1024 * 1024;

const history = {
  t: [],
  get: [],
  set: [],
  delete: [],
  other: [],
  hit: [],
  used: [],
  malloced: [],
  limit: [],
  evictions: [],
  conns: [],
};
let previous = null;
const charts = {};

const $ = (id) => document.getElementById(id);

function setText(id, text) {
  $(id).textContent = text;
}

function formatNumber(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${formatNumber(n, i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatDuration(s) {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** Per-second change of the sum of `keys` since the previous poll; never negative. */
function rate(stats, keys, seconds) {
  if (previous === null || seconds <= 0) return 0;
  let delta = 0;
  for (const k of keys) delta += (stats[k] ?? 0) - (previous.stats[k] ?? 0);
  return Math.max(0, delta) / seconds;
}

function record(stats, slabs, now) {
  const seconds = previous === null ? 0 : (now - previous.at) / 1000;
  const ops = {
    get: rate(stats, ['cmd_get'], seconds),
    set: rate(stats, ['cmd_set'], seconds),
    delete: rate(stats, ['delete_hits', 'delete_misses'], seconds),
    other: rate(
      stats,
      ['cmd_touch', 'cmd_flush', 'incr_hits', 'incr_misses', 'decr_hits', 'decr_misses'],
      seconds,
    ),
  };
  const hits = rate(stats, ['get_hits'], seconds);
  const misses = rate(stats, ['get_misses'], seconds);
  const sample = {
    t: now / 1000,
    ...ops,
    hit: hits + misses > 0 ? (100 * hits) / (hits + misses) : null,
    used: stats.bytes / MiB,
    malloced: slabs.total_malloced / MiB,
    limit: stats.limit_maxbytes / MiB,
    evictions: rate(stats, ['evictions'], seconds),
    conns: stats.curr_connections,
  };
  if (previous !== null) {
    for (const key of Object.keys(history)) history[key].push(sample[key]);
    while (history.t.length > 0 && history.t[0] < (now - WINDOW_MS) / 1000) {
      for (const key of Object.keys(history)) history[key].shift();
    }
  }
  previous = { at: now, stats };
  return { ops, total: ops.get + ops.set + ops.delete + ops.other, sample };
}

function renderCards(stats, slabs, now) {
  setText('version', stats.version);
  setText(
    'identity',
    `pid ${stats.pid} · ${stats.threads} worker threads · up ${formatDuration(stats.uptime)}`,
  );
  const o = now.ops;
  setText('ops-now', formatNumber(now.total));
  setText(
    'ops-sub',
    `get ${formatNumber(o.get)} · set ${formatNumber(o.set)} · delete ${formatNumber(o.delete)}`,
  );
  const lookups = stats.get_hits + stats.get_misses;
  setText('hit-now', now.sample.hit === null ? '–' : `${formatNumber(now.sample.hit, 1)} %`);
  setText(
    'hit-sub',
    lookups > 0
      ? `${formatNumber((100 * stats.get_hits) / lookups, 1)} % since start`
      : 'no gets yet',
  );
  setText('mem-now', formatBytes(stats.bytes));
  $('mem-bar').style.width = `${Math.min(100, (100 * stats.bytes) / stats.limit_maxbytes)}%`;
  setText(
    'mem-sub',
    `of ${formatBytes(stats.limit_maxbytes)} · ${formatBytes(slabs.total_malloced)} in pages`,
  );
  setText('evict-now', `${formatNumber(now.sample.evictions, 1)}/s`);
  setText('evict-sub', `${formatNumber(stats.evictions)} since start`);
  setText('conn-now', formatNumber(stats.curr_connections));
  setText(
    'conn-sub',
    `of ${formatNumber(stats.max_connections)} · ${formatNumber(stats.total_connections)} opened`,
  );
  setText('items-now', formatNumber(stats.curr_items));
  setText('items-sub', `${formatNumber(stats.total_items)} stored since start`);
}

function cell(row, text, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (text !== undefined) td.textContent = text;
  row.appendChild(td);
  return td;
}

/** One row per slab class: a bar of used against free chunks, the bytes wasted inside the
 * used chunks (chunk size times used chunks, less what the items asked for) drawn over it. */
function renderSlabs(slabs, items) {
  const body = document.querySelector('#slabs tbody');
  const rows = [];
  const ids = Object.keys(slabs.slabs).sort((a, b) => Number(a) - Number(b));
  for (const id of ids) {
    const c = slabs.slabs[id];
    const it = items.items[id] ?? {};
    const usedBytes = c.chunk_size * c.used_chunks;
    const wasted = Math.max(0, usedBytes - (it.mem_requested ?? 0));
    const row = document.createElement('tr');
    row.className = 'slab-row';
    row.dataset.slab = id;
    cell(row, id);
    cell(row, formatBytes(c.chunk_size));
    cell(row, formatNumber(c.total_pages));
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.title = `${c.used_chunks} used, ${c.free_chunks} free chunks`;
    const used = document.createElement('div');
    used.className = 'bar-used';
    used.style.width = `${c.total_chunks > 0 ? (100 * c.used_chunks) / c.total_chunks : 0}%`;
    const waste = document.createElement('div');
    waste.className = 'bar-waste';
    waste.style.width = `${usedBytes > 0 ? (100 * wasted) / usedBytes : 0}%`;
    used.appendChild(waste);
    bar.appendChild(used);
    cell(row, undefined, 'bar-col').appendChild(bar);
    cell(row, `${formatNumber(c.used_chunks)} / ${formatNumber(c.total_chunks)}`);
    cell(row, formatNumber(it.number ?? 0));
    cell(row, formatBytes(wasted));
    cell(row, formatNumber(it.evicted ?? 0));
    rows.push(row);
  }
  body.replaceChildren(...rows);
  $('slabs-empty').hidden = rows.length > 0;
}

const CHARTS = {
  'chart-ops': [
    ['get', '#2f6fdb'],
    ['set', '#23854a'],
    ['delete', '#c03a2b'],
    ['other', '#8a5cc2'],
  ],
  'chart-hit': [['hit', '#23854a']],
  'chart-mem': [
    ['used', '#2f6fdb'],
    ['malloced', '#e0782f'],
    ['limit', '#66707c'],
  ],
  'chart-evict': [['evictions', '#c03a2b']],
  'chart-conns': [['conns', '#2f6fdb']],
};

/** At least a minute of time axis, so the first samples do not stretch over years. */
const MIN_SPAN_S = 60;

function compact(n) {
  if (n === null || n === undefined) return '';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${formatNumber(n / 1e9, 1)}G`;
  if (abs >= 1e6) return `${formatNumber(n / 1e6, 1)}M`;
  if (abs >= 1e3) return `${formatNumber(n / 1e3, 1)}k`;
  return formatNumber(n, 2);
}

function chartWidth(id) {
  return Math.max(300, $(id).clientWidth);
}

function renderCharts() {
  // uPlot is loaded with `defer` before this file; without it the page still shows numbers.
  if (typeof uPlot === 'undefined') return;
  for (const [id, lines] of Object.entries(CHARTS)) {
    const data = [history.t, ...lines.map(([key]) => history[key])];
    if (charts[id] === undefined) {
      charts[id] = new uPlot(
        {
          width: chartWidth(id),
          height: 200,
          series: [{}, ...lines.map(([label, stroke]) => ({ label, stroke, width: 1.5 }))],
          scales: {
            x: { time: true, range: (_u, min, max) => [Math.min(min, max - MIN_SPAN_S), max] },
          },
          axes: [{}, { size: 50, values: (_u, ticks) => ticks.map(compact) }],
          legend: { live: false },
        },
        data,
        $(id),
      );
    } else {
      charts[id].setData(data);
    }
  }
}

window.addEventListener('resize', () => {
  for (const [id, chart] of Object.entries(charts)) {
    chart.setSize({ width: chartWidth(id), height: 200 });
  }
});

function setStatus(state, text) {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
}

async function poll() {
  try {
    const [stats, slabs, items] = await Promise.all([
      getJson('/stats'),
      getJson('/stats/slabs'),
      getJson('/stats/items'),
    ]);
    const now = Date.now();
    renderCards(stats, slabs, record(stats, slabs, now));
    renderSlabs(slabs, items);
    renderCharts();
    setStatus('ok', `updated ${new Date(now).toLocaleTimeString()}`);
  } catch (err) {
    setStatus('error', `cannot read stats: ${err.message}`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
