// GET /api/docs: the OpenAPI description rendered as one plain HTML page — no script, no CDN (nothing
// outside the process is fetched), readable with a keyboard and a screen reader: a table of contents,
// then per operation its method, path, operationId, summary, parameters and responses.
import type { Json } from './common.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: { name?: string; in?: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
}

function operations(doc: Json): { method: string; path: string; op: Operation }[] {
  const out: { method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Json>))
    for (const m of METHODS) if (item[m]) out.push({ method: m, path, op: item[m] as Operation });
  return out;
}

function section({ method, path, op }: { method: string; path: string; op: Operation }): string {
  const id = esc(op.operationId ?? `${method}-${path}`);
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) ${esc(p.description)}</li>`,
    )
    .join('');
  const body = op.requestBody?.content
    ? `<p>Request body: ${Object.keys(op.requestBody.content)
        .map((t) => `<code>${esc(t)}</code>`)
        .join(', ')}</p>`
    : '';
  const responses = Object.entries(op.responses ?? {})
    .map(([code, r]) => `<tr><td>${esc(code)}</td><td>${esc(r.description)}</td></tr>`)
    .join('');
  return `<section id="${id}" aria-labelledby="${id}-h">
<h3 id="${id}-h"><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary)}</p><p>operationId: <code>${id}</code></p>
${params ? `<p>Parameters:</p><ul>${params}</ul>` : ''}${body}
<table><caption>Responses</caption><thead><tr><th scope="col">Status</th><th scope="col">Meaning</th></tr></thead><tbody>${responses}</tbody></table>
</section>`;
}

export function renderDocsPage(doc: Json): string {
  const info = (doc.info ?? {}) as {
    title?: string;
    version?: string;
    description?: string;
    license?: { name?: string };
  };
  const ops = operations(doc);
  const toc = ops
    .map(
      (o) => `<li><a href="#${esc(o.op.operationId)}">${esc(o.method.toUpperCase())} ${esc(o.path)}</a></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;color:#111;background:#fff;line-height:1.5}
code{background:#f2f2f2;padding:0 .2em}.m{font-weight:700}table{border-collapse:collapse}td,th{border:1px solid #666;padding:.2em .5em;text-align:left}
a{color:#0645ad}a:focus{outline:3px solid #fd0}section{border-top:1px solid #999;margin-top:1rem}</style></head>
<body><header><h1>${esc(info.title)} API ${esc(info.version)}</h1><p>${esc(info.description)}</p>
<p>Licence: ${esc(info.license?.name)}. Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>.</p></header>
<nav aria-label="Operations"><h2>Operations</h2><ul>${toc}</ul></nav>
<main><h2>Reference</h2>${ops.map(section).join('\n')}</main></body></html>
`;
}
