// Errors a client can provoke through the SDK: protocol errors are thrown, tool failures come back
// as results with isError so the model can correct itself.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import { errorText, sampleUuids, transports } from '../lib/env.mjs';

for (const [kind, connect] of Object.entries(transports)) {
  describe(`errors over ${kind}`, () => {
    let conn;
    const call = async (name, args) => await conn.client.callTool({ name, arguments: args });
    before(async () => { conn = await connect(); });
    after(async () => { await conn?.close(); });

    test('unknown tool is a JSON-RPC invalid-params error', async () => {
      await assert.rejects(call('delete_vcon', { uuid: randomUUID() }), (e) => {
        assert.ok(e instanceof McpError);
        assert.equal(e.code, ErrorCode.InvalidParams);
        assert.match(e.message, /Unknown tool: delete_vcon/);
        return true;
      });
    });

    test('bad uuid, missing and unknown arguments are tool execution errors', async () => {
      assert.match(errorText(await call('get_vcon', { uuid: 'not-a-uuid' })), /uuid must be a UUID/);
      assert.match(errorText(await call('get_vcon', {})), /uuid is required/);
      assert.match(errorText(await call('get_vcon', { uuid: sampleUuids()[0], response_format: 'xml' })),
        /response_format must be one of/);
      assert.match(errorText(await call('search_vcons_content', {})), /query is required/);
      assert.match(errorText(await call('search_by_tags', {})), /tags is required/);
      assert.match(errorText(await call('search_by_tags', { tags: {} })), /at least one/);
      assert.match(errorText(await call('search_vcons', { limit: 0 })), /limit must be an integer from 1 to 1000/);
      assert.match(errorText(await call('search_vcons', { limit: 1001 })), /limit/);
      assert.match(errorText(await call('search_vcons_content', { query: 'x', limit: 1001 })), /limit/);
      assert.match(errorText(await call('search_vcons', { start_date: 'last tuesday' })), /start_date must be an ISO 8601/);
      assert.match(errorText(await call('search_vcons', { tag: { a: 'b' } })), /unknown argument\(s\): tag /);
    });

    test('a vCon that does not exist: isError from the tool, -32002 from resources/read', async () => {
      const uuid = randomUUID();
      assert.match(errorText(await call('get_vcon', { uuid })), new RegExp(`${uuid} not found`));
      const uri = `vcon://v1/vcons/${uuid}`;
      await assert.rejects(conn.client.readResource({ uri }), (e) => {
        assert.ok(e instanceof McpError);
        assert.equal(e.code, -32002);
        assert.deepEqual(e.data, { uri });
        return true;
      });
    });

    test('a URI outside vcon://v1/vcons/{uuid} is not found', async () => {
      await assert.rejects(conn.client.readResource({ uri: 'file:///etc/passwd' }), (e) => e.code === -32002);
    });
  });
}
