// Both eras over one stdio process, raw (newline-delimited JSON-RPC): a modern request is answered
// statelessly without any initialize, and a legacy session in the same process is unaffected.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';

import { assertCleanStderr, required, serverEnv } from '../lib/env.mjs';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('both eras over one stdio process', () => {
  let child;
  let stderr = '';
  const pending = new Map();
  let nextId = 1;

  before(() => {
    child = spawn(required('VCON_SERVER_BIN'), ['--stdio'], { env: { PATH: process.env.PATH, ...serverEnv() } });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line);
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    });
  });
  after(async () => {
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    assertCleanStderr(stderr);
  });

  const send = (method, params) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  });

  test('a modern request needs no initialize', async () => {
    const d = await send('server/discover', { _meta: META });
    assert.equal(d.result.resultType, 'complete');
    assert.equal(d.result.supportedVersions[0], '2026-07-28');
    const list = await send('tools/list', { _meta: META });
    assert.equal(list.result.ttlMs, 3600000);
    assert.ok(list.result.tools.some((t) => t.name === 'get_vcon'));
  });

  test('modern refusals come back in-band', async () => {
    assert.equal((await send('ping', { _meta: META })).error.code, -32601);
    assert.equal((await send('tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } })).error.code, -32602);
    const v = await send('tools/list', { _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } });
    assert.equal(v.error.code, -32022);
    assert.equal(v.error.data.requested, '2099-01-01');
  });

  test('a legacy session in the same process', async () => {
    const init = await send('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    assert.equal(init.result.protocolVersion, '2025-06-18');
    assert.deepEqual((await send('ping', {})).result, {});
    const list = await send('tools/list', {});
    assert.equal(list.result.resultType, undefined);
    // and a modern request right after it is still served as modern
    assert.equal((await send('tools/list', { _meta: META })).result.resultType, 'complete');
  });
});
