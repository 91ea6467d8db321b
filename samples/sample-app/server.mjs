#!/usr/bin/env node
// The small service the samples call: inventory (REST, described by OpenAPI), payments and a
// catalog (Dapr service invocation), and a report sink (bindings.http). Plain node:http, no
// dependencies. Every call is recorded; GET /calls lists them (the sample tests read it).
//   PORT=3791 node samples/sample-app/server.mjs
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

const PRICES = { tea: 4.5, mug: 12, pot: 30, cup: 6, kettle: 45 };
const calls = [];

/** Routes: method + path → (body) → [status, body]. */
const routes = {
  'POST /inventory/reserve': (b) => [200, { reservationId: `r-${randomUUID().slice(0, 8)}`, reservedLines: (b.items ?? []).length }],
  'POST /inventory/release': (b) => [200, { released: (b.items ?? []).length }],
  // Cards are declined above 100 (HTTP 402, which the order workflow maps to CardDeclined).
  'POST /charge': (b) => (b.amount > 100 ? [402, { error: 'card declined', amount: b.amount }] : [200, { receipt: { id: `pay-${randomUUID().slice(0, 8)}`, amount: b.amount, order: b.order } }]),
  'POST /refund': (b) => [200, { refunded: b.amount ?? 0 }],
  'POST /quote': (b) => {
    const price = PRICES[b.sku];
    return price === undefined ? [404, { error: `unknown sku '${b.sku}'` }] : [200, { sku: b.sku, quantity: b.quantity, total: price * b.quantity }];
  },
  'POST /reports': (b) => [201, { stored: true, rows: Array.isArray(b.rows) ? b.rows.length : 0 }],
  'GET /calls': () => [200, calls],
  'GET /healthz': () => [200, { ok: true }],
};

const server = createServer((req, res) => {
  let text = '';
  req.on('data', (c) => (text += c));
  req.on('end', () => {
    let body = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'body is not JSON' }));
      return;
    }
    const path = new URL(req.url, 'http://x').pathname;
    const route = routes[`${req.method} ${path}`];
    if (path !== '/calls' && path !== '/healthz') calls.push({ method: req.method, path, body, idempotencyKey: req.headers['idempotency-key'] });
    const [status, out] = route ? route(body) : [404, { error: `no route ${req.method} ${path}` }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(out));
  });
});

server.listen(Number(process.env.PORT ?? 3791), '127.0.0.1', () => {
  process.stdout.write(`sample app listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
