// The mapping playground's page: collects the form, calls navbridge's JSON API and shows its answers.
// Nothing is mapped, checked or routed here. Text from the API is always set as text, never as HTML.
'use strict';

const BASE = '/admin/playground';
const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

async function api(method, path, body) {
  const res = await fetch(`${BASE}/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let data;
  try {
    data = await res.json();
  } catch {
    data = undefined;
  }
  return { ok: res.ok, status: res.status, data };
}

/** An OperationOutcome's problems as one line each. */
const problems = (data) =>
  (data?.issue ?? []).map((i) => `${i.expression?.[0] ? `${i.expression[0]}: ` : ''}${i.diagnostics ?? i.code}`);

function say(target, text, isError) {
  const node = $(target);
  node.textContent = text;
  node.classList.toggle('error', Boolean(isError));
}

const source = () => document.querySelector('input[name="source"]:checked').value;

function showSource() {
  const s = source();
  for (const row of document.querySelectorAll('[data-for]')) row.hidden = row.dataset.for !== s;
}

function fillSelect(select, values, keepFirst = true) {
  const first = keepFirst ? select.querySelector('option') : null;
  select.replaceChildren(...(first ? [first] : []));
  for (const v of values) {
    const [value, label] = Array.isArray(v) ? v : [v, v];
    select.append(el('option', { value }, label));
  }
}

async function loadCatalog() {
  const { ok, data } = await api('GET', '/catalog');
  if (!ok) return say('status', `The playground could not load: ${problems(data).join('; ')}`, true);
  fillSelect($('record-type'), data.recordTypes, false);
  fillSelect($('site'), data.sites);
  fillSelect($('inbound-mapping'), data.inbound, false);
  fillSelect(
    $('partner'),
    data.partners.map((p) => [p.id, `${p.id} (${p.kind}, ${p.mode})`]),
  );
  fillSelect(
    $('golden'),
    data.goldens.map((g) => [g.label, g.label]),
  );
  $('now').placeholder = data.goldenNow;
}

function optional(id) {
  const v = $(id).value.trim();
  return v === '' ? undefined : v;
}

function readContext() {
  const text = optional('context');
  if (text === undefined) return {};
  try {
    return { context: JSON.parse(text) };
  } catch {
    throw new Error('The context is not valid JSON.');
  }
}

function recordRequest() {
  return {
    recordType: $('record-type').value,
    format: $('format').value,
    text: $('input').value,
    ...(optional('site') ? { site: optional('site') } : {}),
    ...(optional('now') ? { now: optional('now') } : {}),
    ...readContext(),
  };
}

/** A link to a mapping file's line: opens the source view at it. */
function locationLink(loc) {
  const label = `${loc.file}${loc.line ? `:${loc.line}` : ''}${loc.field ? ` ${loc.field}` : ''}`;
  return el(
    'a',
    {
      href: '#source-view',
      class: 'location',
      onclick: (e) => {
        e.preventDefault();
        openSource(loc.file, loc.line, loc.endLine);
      },
    },
    label,
  );
}

/** Shows a mapping file with its lines numbered, the issue's line marked and its expression shaded. */
async function openSource(file, line, endLine) {
  const { ok, data } = await api('GET', `/source?file=${encodeURIComponent(file)}`);
  if (!ok) return say('status', `Cannot open ${file}: ${problems(data).join('; ')}`, true);
  $('source-file').textContent = line ? `${file}, line ${line}` : file;
  const lines = data.text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  $('source-lines').replaceChildren(
    ...lines.map((text, i) =>
      el(
        'li',
        {
          id: `L${i + 1}`,
          class: i + 1 === line ? 'hit' : line && endLine && i + 1 > line && i + 1 <= endLine ? 'span' : undefined,
          'aria-current': i + 1 === line ? 'true' : undefined,
        },
        el('code', {}, text === '' ? ' ' : text),
      ),
    ),
  );
  $('source-view').hidden = false;
  const hit = line ? $(`L${line}`) : $('source-heading');
  hit.setAttribute('tabindex', '-1');
  hit.scrollIntoView({ block: 'center' });
  hit.focus();
}

/** A table with a caption and column headers; `cells` gives a row's class and cells. */
function table(cls, caption, headers, rows, cells) {
  return el(
    'table',
    { class: cls },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      rows.map((r) => {
        const [rowClass, ...tds] = cells(r);
        return el('tr', { class: rowClass }, tds.map((c) => el('td', {}, c)));
      }),
    ),
  );
}

function issuesTable(issues) {
  if (issues.length === 0) return el('p', { class: 'ok' }, 'No issues.');
  return table('issues', 'Issues', ['Severity', 'Where (FHIRPath or path)', 'Problem', 'Mapping'], issues, (i) => [
    `sev-${i.severity}`,
    i.severity,
    el('code', {}, i.expression ?? ''),
    i.diagnostics,
    i.location ? locationLink(i.location) : '',
  ]);
}

const pre = (value, label) =>
  el('pre', { tabindex: '0', 'aria-label': label }, JSON.stringify(value, null, 2));

/** JSON.stringify(value, null, 2) line by line, each line with the path of the value it writes. */
function jsonLines(value) {
  const out = [];
  const walk = (v, path, indent, prefix, comma) => {
    const pad = ' '.repeat(indent);
    if (v === null || typeof v !== 'object') {
      out.push({ path, text: `${pad}${prefix}${JSON.stringify(v)}${comma}` });
      return;
    }
    const isArray = Array.isArray(v);
    const entries = isArray ? v.map((x, i) => [i, x]) : Object.entries(v);
    const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) {
      out.push({ path, text: `${pad}${prefix}${open}${close}${comma}` });
      return;
    }
    out.push({ path, text: `${pad}${prefix}${open}` });
    entries.forEach(([k, x], i) => {
      const child = isArray ? `${path}[${k}]` : `${path}.${k}`;
      const key = isArray ? '' : `${JSON.stringify(k)}: `;
      walk(x, child, indent + 2, key, i < entries.length - 1 ? ',' : '');
    });
    out.push({ path, text: `${pad}${close}${comma}` });
  };
  walk(value, '', 0, '', '');
  return out;
}

/** The Bundle with the elements that issues name (by FHIRPath) marked. */
function fhirView(bundle, issues) {
  const paths = issues
    .map((i) => i.expression ?? '')
    .filter((e) => e.startsWith('Bundle.') && /^[\w.[\]]+$/.test(e))
    .map((e) => e.slice('Bundle'.length));
  const marked = (p) => paths.some((x) => p === x || p.startsWith(`${x}.`) || p.startsWith(`${x}[`));
  const lines = jsonLines(bundle).map(({ path, text }) =>
    marked(path) ? el('mark', {}, `${text}\n`) : document.createTextNode(`${text}\n`),
  );
  return el('pre', { tabindex: '0', 'aria-label': 'FHIR produced' }, lines);
}

function triageText(t) {
  return t.reason ? `${t.outcome} (${t.reason})` : t.outcome;
}

function routesBlock(routes) {
  if (routes.length === 0) return el('p', {}, 'No partner receives anything of this record.');
  return el(
    'div',
    {},
    table('routes', 'Routing decision', ['Partner', 'Mode', 'Decision', 'Why', 'Resources'], routes, (r) => [
      `decision-${r.decision}`,
      r.partnerId ?? '(none)',
      r.mode ?? '',
      r.decision,
      r.reason,
      r.resources.join(', '),
    ]),
    routes
      .filter((r) => r.payload)
      .map((r) =>
        el(
          'details',
          {},
          el('summary', {}, `Payload for ${r.partnerId} (${r.mode})`),
          pre(r.payload, `Payload for ${r.partnerId}`),
        ),
      ),
  );
}

const STATUS_TEXT = {
  valid: 'Valid FHIR',
  invalid: 'The FHIR produced does not validate',
  rejected: 'The record is rejected (structure)',
  'mapping-failed': 'The mapping fails',
};

function renderResult(r, n) {
  const heading = `${r.row ? `Row ${r.row}: ` : ''}${STATUS_TEXT[r.status] ?? r.status}`;
  const id = `result-${n}`;
  return el(
    'section',
    { class: `result status-${r.status}`, 'aria-labelledby': id },
    el('h2', { id }, heading),
    issuesTable(r.issues),
    r.triage ? el('p', { class: 'triage' }, el('strong', {}, 'Triage: '), triageText(r.triage)) : null,
    r.routes ? [el('h3', {}, 'Routing'), routesBlock(r.routes)] : null,
    r.bundle ? [el('h3', {}, 'FHIR produced'), fhirView(r.bundle, r.issues)] : null,
  );
}

function renderDiff(diff) {
  return el(
    'section',
    { class: 'diff', 'aria-labelledby': 'diff-heading' },
    el('h2', { id: 'diff-heading' }, `Compared with ${diff.golden}`),
    diff.differences.length === 0
      ? el('p', { class: 'ok' }, 'Identical to the golden example.')
      : el('ul', {}, diff.differences.map((d) => el('li', {}, el('code', {}, d)))),
  );
}

function renderInbound(r) {
  return el(
    'section',
    { class: `result status-${r.status}`, 'aria-labelledby': 'inbound-heading' },
    el('h2', { id: 'inbound-heading' }, STATUS_TEXT[r.status] ?? r.status),
    issuesTable(r.issues),
    r.action ? el('p', {}, el('strong', {}, 'Action: '), r.action) : null,
    r.record
      ? [
          el('h3', {}, 'Navigator record produced'),
          pre(r.record, 'Navigator record produced'),
          el('button', { type: 'button', onclick: () => useRecord(r.record) }, 'Map this record'),
        ]
      : null,
  );
}

function useRecord(record) {
  document.querySelector('input[name="source"][value="record"]').checked = true;
  showSource();
  $('record-type').value = 'referral';
  $('format').value = 'json';
  $('input').value = JSON.stringify(record, null, 2);
  $('input').focus();
}

async function run() {
  $('results').replaceChildren();
  say('status', 'Mapping…');
  let res;
  try {
    if (source() === 'inbound') {
      res = await api('POST', '/inbound', {
        mapping: $('inbound-mapping').value,
        text: $('input').value,
        ...(optional('partner') ? { partner: optional('partner') } : {}),
        ...(optional('now') ? { now: optional('now') } : {}),
      });
    } else {
      res = await api('POST', '/run', {
        ...recordRequest(),
        ...(optional('golden') ? { golden: optional('golden') } : {}),
      });
    }
  } catch (err) {
    return say('status', err.message, true);
  }
  if (!res.ok) return say('status', `Not mapped (${res.status}): ${problems(res.data).join('; ')}`, true);
  const out = source() === 'inbound' ? [renderInbound(res.data)] : res.data.results.map(renderResult);
  if (res.data.diff) out.push(renderDiff(res.data.diff));
  $('results').replaceChildren(...out);
  // Each FHIR view opens at its first marked element.
  for (const view of $('results').querySelectorAll('pre')) {
    const mark = view.querySelector('mark');
    if (mark) view.scrollTop = Math.max(0, mark.offsetTop - view.clientHeight / 3);
  }
  const statuses = source() === 'inbound' ? [res.data.status] : res.data.results.map((r) => r.status);
  say('status', `Done: ${statuses.map((s) => STATUS_TEXT[s] ?? s).join('; ')}.`, !statuses.every((s) => s === 'valid'));
}

async function openDeadLetter() {
  const id = $('dead-letter-id').value.trim();
  const { ok, status, data } = await api('GET', `/dead-letters/${encodeURIComponent(id)}`);
  if (!ok) return say('status', `Cannot open the dead letter (${status}): ${problems(data).join('; ')}`, true);
  document.querySelector('input[name="source"][value="record"]').checked = true;
  showSource();
  $('record-type').value = data.recordType;
  $('format').value = 'json';
  $('site').value = data.site;
  $('input').value = data.text;
  $('context').value = data.context ? JSON.stringify(data.context, null, 2) : '';
  say('status', `Opened dead letter ${data.exchangeId} for ${data.partnerId ?? 'no partner'}: ${data.reason ?? ''}`);
  await run();
}

async function saveGolden() {
  let body;
  try {
    body = {
      ...recordRequest(),
      name: $('golden-name').value.trim(),
      ...($('golden-rejection').checked ? { rejection: true } : {}),
      ...($('golden-overwrite').checked ? { overwrite: true } : {}),
    };
  } catch (err) {
    return say('save-status', err.message, true);
  }
  const { ok, status, data } = await api('POST', '/goldens', body);
  if (!ok) return say('save-status', `Not saved (${status}): ${problems(data).join('; ')}`, true);
  say('save-status', `Saved: ${data.files.join(', ')}`);
  await loadCatalog();
}

function readFile() {
  const file = $('file').files?.[0];
  if (!file) return;
  if (/\.csv$/i.test(file.name)) $('format').value = 'csv';
  else $('format').value = 'json';
  file.text().then((text) => {
    $('input').value = text;
  });
}

function submitWith(form, action) {
  $(form).addEventListener('submit', (e) => {
    e.preventDefault();
    action();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  for (const r of document.querySelectorAll('input[name="source"]')) r.addEventListener('change', showSource);
  $('file').addEventListener('change', readFile);
  submitWith('run-form', run);
  submitWith('dead-letter-form', openDeadLetter);
  submitWith('save-form', saveGolden);
  showSource();
  loadCatalog();
});
