// Handshake and discovery over both transports: what a client sees before it calls anything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';

import { transports } from '../lib/env.mjs';

// vcon-mcp's read profile (tests/mcp/test/vcon_mcp_surface.test.mjs checks their parameters).
const TOOL_NAMES = ['describe_response_shape', 'get_examples', 'get_schema', 'get_tags', 'get_unique_tags', 'get_vcon',
  'search_by_tags', 'search_vcons', 'search_vcons_content', 'search_vcons_hybrid', 'search_vcons_semantic',
  'vcon_aggregate', 'vcon_capabilities', 'vcon_fetch', 'vcon_graph_shape', 'vcon_search', 'vcon_taxonomy'];
// The tools with an outputSchema (the others' shapes are vcon-mcp's, described by describe_response_shape).
const WITH_OUTPUT_SCHEMA = ['get_vcon', 'search_by_tags', 'search_vcons', 'search_vcons_content'];

for (const [kind, connect] of Object.entries(transports)) {
  describe(`lifecycle over ${kind}`, () => {
    let conn;
    before(async () => { conn = await connect(); });
    after(async () => { await conn?.close(); });

    test('initialize: server identity, capabilities, instructions, protocol version', () => {
      const info = conn.client.getServerVersion();
      assert.equal(info.name, 'vcon-cache-server');
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      assert.deepEqual(conn.client.getServerCapabilities(),
        { tools: { listChanged: false }, resources: {}, prompts: { listChanged: false } });
      assert.match(conn.client.getInstructions() ?? '', /vCon/);
      if (kind === 'http') assert.equal(conn.transport.protocolVersion, LATEST_PROTOCOL_VERSION);
    });

    test('ping', async () => {
      assert.deepEqual(await conn.client.ping(), {});
    });

    test('tools/list: the read-only tools with schemas', async () => {
      const { tools, nextCursor } = await conn.client.listTools();
      assert.equal(nextCursor, undefined);
      assert.deepEqual(tools.map((t) => t.name).sort(), TOOL_NAMES);
      for (const t of tools) {
        assert.ok(t.description && t.description.length > 20, `${t.name} has a description`);
        assert.equal(t.inputSchema.type, 'object');
        if (WITH_OUTPUT_SCHEMA.includes(t.name)) assert.equal(t.outputSchema?.type, 'object');
        assert.equal(t.annotations?.readOnlyHint, true);
        assert.equal(t.annotations?.openWorldHint, false);
      }
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      assert.deepEqual(byName.get_vcon.inputSchema.required, ['uuid']);
      assert.deepEqual(byName.get_vcon.inputSchema.properties.response_format.enum, ['full', 'summary', 'metadata']);
      assert.deepEqual(Object.keys(byName.search_vcons.inputSchema.properties).sort(),
        ['end_date', 'include_count', 'limit', 'offset', 'party_email', 'party_name', 'party_tel', 'response_format',
          'start_date', 'subject', 'tags']);
      assert.equal(byName.search_vcons.inputSchema.properties.limit.maximum, 1000);
      assert.deepEqual(byName.search_vcons_content.inputSchema.required, ['query']);
      assert.equal(byName.search_vcons_content.inputSchema.properties.limit.maximum, 1000);
      assert.deepEqual(byName.search_by_tags.inputSchema.required, ['tags']);
    });

    test('resources: the lists and the vcon templates', async () => {
      assert.ok((await conn.client.listResources()).resources.some((r) => r.uri === 'vcon://v1/vcons/recent'));
      const { resourceTemplates } = await conn.client.listResourceTemplates();
      assert.equal(resourceTemplates.length, 12);
      assert.equal(resourceTemplates[0].uriTemplate, 'vcon://v1/vcons/{uuid}');
      assert.equal(resourceTemplates[0].mimeType, 'application/json');
    });
  });
}
