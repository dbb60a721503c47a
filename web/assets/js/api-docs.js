// The REST API page: renders /api/openapi.json as HTML, with nothing loaded from elsewhere.
import { h } from './dom.js';

const refName = (ref) => ref.split('/').pop();

function schemaLink(schema) {
  if (!schema) return h('span', {}, '—');
  if (schema.$ref) return h('a', { href: `#schema-${refName(schema.$ref)}` }, refName(schema.$ref));
  return h('code', {}, JSON.stringify(schema));
}

function route(path, method, op) {
  const id = op.operationId || `${method}-${path}`;
  const params = (op.parameters || []).map((p) =>
    h('tr', {}, h('td', {}, h('code', {}, p.name)), h('td', {}, p.in), h('td', {}, p.required ? 'required' : 'optional'),
      h('td', {}, schemaLink(p.schema)), h('td', {}, p.description || '')));
  const body = op.requestBody ? schemaLink(op.requestBody.content['application/json'].schema) : null;
  const answers = Object.entries(op.responses || {}).map(([status, r]) => {
    const content = r.content && Object.values(r.content)[0];
    return h('tr', {}, h('td', {}, status), h('td', {}, r.description || ''), h('td', {}, content ? schemaLink(content.schema) : '—'));
  });
  return h('section', { class: 'route', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, h('span', { class: 'method' }, method), ' ', h('code', {}, path)),
    h('p', {}, op.summary || ''),
    op.description ? h('p', {}, op.description) : null,
    params.length ? h('table', {}, h('caption', {}, 'Parameters'), ...params) : null,
    body ? h('p', {}, 'Body: ', body) : null,
    h('table', {}, h('caption', {}, 'Answers'), ...answers));
}

async function main() {
  const res = await fetch('/api/openapi.json');
  const doc = await res.json();
  const toc = document.getElementById('api-toc');
  const routes = document.getElementById('api-routes');
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = op.operationId || `${method}-${path}`;
      toc.append(h('li', {}, h('a', { href: `#${id}` }, `${method.toUpperCase()} ${path}`)));
      routes.append(route(path, method, op));
    }
  }
  const schemas = document.getElementById('api-schemas');
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    schemas.append(h('section', { id: `schema-${name}` }, h('h3', {}, name), h('pre', {}, JSON.stringify(schema, null, 2))));
  }
}

main().catch((e) => {
  document.getElementById('api-error').textContent = `The document could not be read: ${e.message}`;
});
