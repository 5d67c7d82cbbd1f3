// The 2026-07-28 Streamable HTTP rules at the wire level, raw: what a modern request must carry
// (_meta, MCP-Protocol-Version, Mcp-Method, Mcp-Name), the status and JSON-RPC code of every
// refusal, the result members (resultType, _meta serverInfo, ttlMs, cacheScope), and that legacy
// traffic on the same endpoint is unaffected.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { MCP_URL, authHeaders, postRaw, sampleUuids, startServer } from '../lib/env.mjs';

const MODERN = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const b64 = (s) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

// The request as a conforming modern client sends it; `headers` overrides (undefined removes),
// `meta: null` sends no _meta.
async function modern(method, params = {}, { headers = {}, meta = META, url } = {}) {
  const name = method === 'resources/read' ? params.uri : params.name;
  const all = { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': method, ...(name !== undefined && { 'Mcp-Name': name }), ...headers };
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete all[k];
  const body = { jsonrpc: '2.0', id: 42, method, params: meta === null ? params : { ...params, _meta: meta } };
  const res = await postRaw(body, { headers: all, ...(url && { url }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

// What a legacy initialize declares.
async function legacyCapabilities() {
  const res = await postRaw({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  return (await res.json()).result.capabilities;
}

function assertRefused(r, status, code) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code, JSON.stringify(r.body));
  assert.equal(r.body.id, 42, 'the error carries the request id');
}

describe('2026-07-28 results', () => {
  test('server/discover: versions, capabilities, identity, resultType and caching hints', async () => {
    const r = await modern('server/discover');
    assert.equal(r.status, 200);
    const d = r.body.result;
    assert.equal(d.resultType, 'complete');
    assert.deepEqual(d.supportedVersions, [MODERN, '2025-11-25', '2025-06-18', '2025-03-26']);
    assert.deepEqual(d.capabilities, await legacyCapabilities(), 'the same capabilities in both eras');
    assert.deepEqual(d.capabilities.tools, { listChanged: false });
    assert.equal(d._meta['io.modelcontextprotocol/serverInfo'].name, 'vcon-cache-server');
    assert.equal(d.ttlMs, 3600000);
    assert.equal(d.cacheScope, 'public');
    assert.equal(r.headers.get('mcp-session-id'), null, 'stateless: no session');
  });

  test('static lists are fresh for an hour and public; vCon data is never fresh and private', async () => {
    const uuid = sampleUuids()[0];
    const expect = [
      ['tools/list', {}, 3600000, 'public'],
      ['resources/templates/list', {}, 3600000, 'public'],
      ['resources/list', {}, 0, 'private'],
      ['resources/read', { uri: `vcon://v1/vcons/${uuid}` }, 0, 'private'],
    ];
    for (const [method, params, ttlMs, cacheScope] of expect) {
      const r = await modern(method, params);
      assert.equal(r.status, 200, method);
      assert.equal(r.body.result.resultType, 'complete', method);
      assert.equal(r.body.result.ttlMs, ttlMs, method);
      assert.equal(r.body.result.cacheScope, cacheScope, method);
      assert.equal(r.body.result._meta['io.modelcontextprotocol/serverInfo'].name, 'vcon-cache-server', method);
    }
  });

  test('tools/call: resultType and serverInfo, no caching hints', async () => {
    const uuid = sampleUuids()[0];
    const r = await modern('tools/call', { name: 'get_vcon', arguments: { uuid } });
    assert.equal(r.status, 200);
    assert.equal(r.body.result.resultType, 'complete');
    assert.equal(r.body.result.structuredContent.vcon.uuid, uuid);
    assert.equal(r.body.result.ttlMs, undefined);
    assert.ok(r.body.result._meta['io.modelcontextprotocol/serverInfo']);
  });

  test('a missing resource is -32602 with data.uri (HTTP 200: a method error)', async () => {
    const uri = `vcon://v1/vcons/${randomUUID()}`;
    const r = await modern('resources/read', { uri });
    assertRefused(r, 200, -32602);
    assert.deepEqual(r.body.error.data, { uri });
  });

  test('Mcp-Session-Id and Last-Event-ID are ignored; no session is minted', async () => {
    const r = await modern('tools/list', {}, { headers: { 'Mcp-Session-Id': 'no-such-session', 'Last-Event-ID': '7' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('mcp-session-id'), null);
  });
});

describe('2026-07-28 refusals', () => {
  test('missing or invalid _meta: 400 with -32602', async () => {
    assertRefused(await modern('server/discover', {}, { meta: null }), 400, -32602);
    const { 'io.modelcontextprotocol/protocolVersion': _v, ...noVersion } = META;
    assertRefused(await modern('server/discover', {}, { meta: noVersion }), 400, -32602);
    const { 'io.modelcontextprotocol/clientCapabilities': _c, ...noCaps } = META;
    assertRefused(await modern('tools/list', {}, { meta: noCaps }), 400, -32602);
    assertRefused(await modern('tools/list', {}, { meta: { ...META, 'io.modelcontextprotocol/clientInfo': 'me' } }), 400, -32602);
    // clientInfo is a SHOULD: without it the request is served.
    const { 'io.modelcontextprotocol/clientInfo': _i, ...noInfo } = META;
    assert.equal((await modern('tools/list', {}, { meta: noInfo })).status, 200);
  });

  test('unsupported revision: 400 with -32022 and data {supported, requested}', async () => {
    const r = await modern('server/discover', {}, {
      meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' },
      headers: { 'MCP-Protocol-Version': '2099-01-01' },
    });
    assertRefused(r, 400, -32022);
    assert.deepEqual(r.body.error.data, { supported: [MODERN, '2025-11-25', '2025-06-18', '2025-03-26'], requested: '2099-01-01' });
  });

  test('MCP-Protocol-Version missing or unlike _meta: 400 with -32020', async () => {
    assertRefused(await modern('tools/list', {}, { headers: { 'MCP-Protocol-Version': undefined } }), 400, -32020);
    assertRefused(await modern('tools/list', {}, { headers: { 'MCP-Protocol-Version': '2025-11-25' } }), 400, -32020);
  });

  test('Mcp-Method missing, different or differently cased: 400 with -32020', async () => {
    assertRefused(await modern('tools/list', {}, { headers: { 'Mcp-Method': undefined } }), 400, -32020);
    assertRefused(await modern('tools/list', {}, { headers: { 'Mcp-Method': 'prompts/list' } }), 400, -32020);
    assertRefused(await modern('tools/list', {}, { headers: { 'Mcp-Method': 'TOOLS/LIST' } }), 400, -32020);
    // Header names are case-insensitive; surrounding whitespace is not part of the value.
    assert.equal((await modern('tools/list', {}, { headers: { 'Mcp-Method': undefined, 'mcp-method': ' tools/list ' } })).status, 200);
  });

  test('Mcp-Name for tools/call and resources/read: required, equal to the body, =?base64?…?= decoded', async () => {
    const uuid = sampleUuids()[0];
    const call = { name: 'get_vcon', arguments: { uuid } };
    const read = { uri: `vcon://v1/vcons/${uuid}` };
    assertRefused(await modern('tools/call', call, { headers: { 'Mcp-Name': undefined } }), 400, -32020);
    assertRefused(await modern('tools/call', call, { headers: { 'Mcp-Name': 'search_vcons' } }), 400, -32020);
    assertRefused(await modern('resources/read', read, { headers: { 'Mcp-Name': undefined } }), 400, -32020);
    assertRefused(await modern('resources/read', read, { headers: { 'Mcp-Name': 'vcon://v1/vcons/other' } }), 400, -32020);
    assertRefused(await modern('tools/call', call, { headers: { 'Mcp-Name': '=?base64?Z2V0X3Zjb24?=' } }), 400, -32020);
    assert.equal((await modern('tools/call', call, { headers: { 'Mcp-Name': b64('get_vcon') } })).status, 200);
    assert.equal((await modern('resources/read', read, { headers: { 'Mcp-Name': b64(read.uri) } })).status, 200);
  });

  test('unknown method and methods the modern era removed: 404 with -32601', async () => {
    for (const method of ['unknown/method', 'ping', 'initialize', 'logging/setLevel', 'resources/subscribe']) {
      assertRefused(await modern(method), 404, -32601);
    }
  });

  test('GET and DELETE: 405 (POST only)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(MCP_URL(), {
        method,
        headers: { Accept: 'text/event-stream', 'MCP-Protocol-Version': MODERN, 'Mcp-Session-Id': 'x', ...authHeaders() },
      });
      assert.equal(res.status, 405, method);
      await res.body?.cancel();
    }
  });

  test('a modern header on a legacy initialize is a contradiction: 400 with -32020', async () => {
    const body = { jsonrpc: '2.0', id: 42, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    const res = await postRaw(body, { headers: { 'MCP-Protocol-Version': MODERN } });
    assertRefused({ status: res.status, body: await res.json() }, 400, -32020);
  });
});

describe('legacy traffic on the same endpoint', () => {
  test('initialize, ping and legacy results are as before', async () => {
    const init = await postRaw({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    assert.equal((await init.json()).result.protocolVersion, '2025-11-25');
    const ping = await postRaw({ jsonrpc: '2.0', id: 2, method: 'ping' }, { headers: { 'MCP-Protocol-Version': '2025-11-25' } });
    assert.deepEqual(await ping.json(), { jsonrpc: '2.0', id: 2, result: {} });
    const list = await postRaw({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, { headers: { 'MCP-Protocol-Version': '2025-11-25' } });
    const result = (await list.json()).result;
    assert.equal(result.resultType, undefined);
    assert.equal(result.ttlMs, undefined);
  });
});

describe('2026-07-28 behind a bearer token', () => {
  const token = randomBytes(16).toString('hex');
  let server;
  before(async () => { server = await startServer({ env: { VCON_API_TOKEN: token } }); });
  after(async () => { await server?.stop(); });

  test('every cacheable result is private', async () => {
    const headers = { Authorization: `Bearer ${token}` };
    for (const method of ['server/discover', 'tools/list', 'resources/templates/list', 'resources/list']) {
      const r = await modern(method, {}, { headers, url: server.url });
      assert.equal(r.status, 200, method);
      assert.equal(r.body.result.cacheScope, 'private', method);
    }
  });
});
