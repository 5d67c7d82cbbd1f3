// Streamable HTTP behaviour at the wire level (what the SDK hides): statuses, bodies, headers,
// Origin and token checks.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { MCP_URL, authHeaders, connectHttp, postRaw, startServer, toolJson, sampleUuids } from '../lib/env.mjs';

const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
const initialize = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('Streamable HTTP wire behaviour', () => {
  test('a request gets 200 application/json with the JSON-RPC response', async () => {
    const res = await postRaw(ping, { headers: { 'MCP-Protocol-Version': '2025-11-25' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await res.json(), { jsonrpc: '2.0', id: 1, result: {} });
  });

  test('initialize echoes each supported version and offers the latest otherwise', async () => {
    for (const v of ['2025-11-25', '2025-06-18', '2025-03-26']) {
      const res = await postRaw({ ...initialize, params: { ...initialize.params, protocolVersion: v } });
      assert.equal((await res.json()).result.protocolVersion, v);
    }
    const res = await postRaw({ ...initialize, params: { ...initialize.params, protocolVersion: '2024-01-01' } });
    assert.equal((await res.json()).result.protocolVersion, '2025-11-25');
    assert.equal(res.headers.get('mcp-session-id'), null, 'stateless: no session is issued');
  });

  test('notifications and client responses get 202 with an empty body', async () => {
    for (const body of [{ jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 5, result: {} }]) {
      const res = await postRaw(body);
      assert.equal(res.status, 202);
      assert.equal(await res.text(), '');
    }
  });

  test('parse error: 400 with -32700 and id null', async () => {
    const res = await postRaw('{"jsonrpc":"2.0","id":1,');
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, -32700);
    assert.equal(body.id, null);
  });

  test('batches are rejected with -32600', async () => {
    const res = await postRaw([ping, { ...ping, id: 2 }]);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, -32600);
  });

  test('unknown method before initialize is answered, not ignored', async () => {
    const res = await postRaw({ jsonrpc: '2.0', id: 9, method: 'server/discover' });
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).error.code, -32601);
  });

  test('unsupported MCP-Protocol-Version header: 400', async () => {
    for (const v of ['1.0.0', 'bogus']) { // 2026-07-28 without its _meta: modern-http.test.mjs
      const res = await postRaw(ping, { headers: { 'MCP-Protocol-Version': v } });
      assert.equal(res.status, 400, v);
      assert.equal((await res.json()).error.code, -32600);
    }
  });

  test('GET /mcp: 405 (no server-initiated stream)', async () => {
    const res = await fetch(MCP_URL(), { headers: { Accept: 'text/event-stream', ...authHeaders() } });
    assert.equal(res.status, 405);
    await res.body?.cancel();
  });

  test('Origin: a foreign origin gets 403, a local one is served', async () => {
    const bad = await postRaw(ping, { headers: { Origin: 'http://evil.example.com' } });
    assert.equal(bad.status, 403);
    await bad.body?.cancel();
    const local = await postRaw(ping, { headers: { Origin: `http://localhost:${MCP_URL().port}` } });
    assert.equal(local.status, 200);
    assert.deepEqual((await local.json()).result, {});
  });
});

// fetch() may not set Host; node:http can, as a browser does after DNS rebinding.
function postWithHost(host, body) {
  const url = MCP_URL();
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1', port: url.port, path: url.pathname, method: 'POST',
      headers: { Host: host, 'Content-Type': 'application/json', ...authHeaders() },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('browser safety', () => {
  test('DNS rebinding: a foreign Host gets 403, a loopback one is served', async () => {
    const bad = await postWithHost(`evil.example:${MCP_URL().port}`, ping);
    assert.equal(bad.status, 403);
    assert.match(JSON.parse(bad.body).error.message, /^Host not allowed/);
    const good = await postWithHost(`localhost:${MCP_URL().port}`, ping);
    assert.equal(good.status, 200);
    assert.deepEqual(JSON.parse(good.body).result, {});
  });

  test('CORS preflight: answered for a local origin, refused for a foreign one', async () => {
    const origin = 'http://localhost:6274'; // MCP Inspector's direct mode
    const pre = await fetch(MCP_URL(), {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, mcp-protocol-version' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), origin);
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    assert.match(pre.headers.get('access-control-allow-headers'), /mcp-protocol-version/);
    const res = await postRaw(ping, { headers: { Origin: origin } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    await res.body?.cancel();
    const foreign = await fetch(MCP_URL(), {
      method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    await foreign.body?.cancel();
  });
});

describe('bearer token (VCON_API_TOKEN)', () => {
  const token = randomBytes(16).toString('hex');
  let server;
  before(async () => { server = await startServer({ env: { VCON_API_TOKEN: token } }); });
  after(async () => { await server?.stop(); });

  test('without a token the SDK client gets a 401 StreamableHTTPError', async () => {
    await assert.rejects(connectHttp({ url: server.url, headers: {} }), (e) => {
      assert.ok(e instanceof StreamableHTTPError, `got ${e}`);
      assert.equal(e.code, 401);
      return true;
    });
  });

  test('a wrong token gets 401 with WWW-Authenticate: Bearer', async () => {
    const res = await postRaw(ping, { url: server.url, headers: { Authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    await res.body?.cancel();
  });

  test('with the token everything works', async () => {
    const conn = await connectHttp({ url: server.url, headers: { Authorization: `Bearer ${token}` } });
    try {
      assert.equal((await conn.client.listTools()).tools.length, 17);
      const [uuid] = sampleUuids();
      const out = toolJson(await conn.client.callTool({ name: 'get_vcon', arguments: { uuid } }));
      assert.equal(out.vcon.uuid, uuid);
    } finally {
      await conn.close();
    }
  });
});
