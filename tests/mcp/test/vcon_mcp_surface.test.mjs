// vcon-mcp's read surface (MCP_TOOLS_PROFILE=readonly: its 17 read and schema tools, 19 resources,
// prompts) through the official SDK client: every tool called with vcon-mcp's own parameters and
// its result compared with the shape vcon-mcp's handlers return; the inputSchema property names
// compared with vcon-mcp's tool definitions (src/tools/*.ts at vcon-dev/vcon-mcp 1.3.0).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { errorText, sampleUuids, toolJson, transports } from '../lib/env.mjs';

// vcon-mcp's inputSchema property names and required lists, per tool.
const VCON_MCP_TOOLS = {
  get_vcon: [['uuid', 'response_format'], ['uuid']],
  search_vcons: [['subject', 'party_name', 'party_email', 'party_tel', 'start_date', 'end_date', 'tags', 'limit',
    'response_format', 'include_count'], []],
  search_vcons_content: [['query', 'start_date', 'end_date', 'tags', 'limit', 'response_format', 'include_count'], ['query']],
  search_vcons_semantic: [['query', 'embedding', 'tags', 'threshold', 'limit', 'response_format', 'include_count'], []],
  search_vcons_hybrid: [['query', 'embedding', 'tags', 'semantic_weight', 'limit', 'response_format', 'include_count'], ['query']],
  get_tags: [['vcon_uuid', 'key', 'default_value'], ['vcon_uuid']],
  search_by_tags: [['tags', 'limit', 'return_full_vcons', 'max_full_vcons'], ['tags']],
  get_unique_tags: [['include_counts', 'key_filter', 'min_count'], []],
  vcon_fetch: [['id', 'include', 'max_response_bytes'], ['id']],
  vcon_capabilities: [[], []],
  vcon_graph_shape: [[], []],
  vcon_taxonomy: [[], []],
  vcon_search: [['mode', 'query', 'embedding', 'tags', 'filters', 'include', 'limit', 'cursor', 'max_response_bytes',
    'threshold', 'semantic_weight'], []],
  vcon_aggregate: [['group_by', 'tags', 'filters', 'having', 'limit'], []],
  describe_response_shape: [['tool_name', 'include_example'], []],
  get_schema: [['version', 'format'], []],
  get_examples: [['example_type', 'format'], ['example_type']],
};
// Parameters we accept beyond vcon-mcp's (documented in the README).
const OUR_EXTRAS = { search_vcons: ['offset'] };

const VCON_MCP_RESOURCES = ['vcon://v1/vcons/recent', 'vcon://v1/vcons/recent/ids', 'vcon://v1/vcons/ids',
  'vcon://v1/vcons/{uuid}', 'vcon://v1/vcons/{uuid}/metadata', 'vcon://v1/vcons/{uuid}/parties',
  'vcon://v1/vcons/{uuid}/dialog', 'vcon://v1/vcons/{uuid}/analysis', 'vcon://v1/vcons/{uuid}/attachments',
  'vcon://v1/discovery/attachments/types', 'vcon://v1/discovery/attachments/purposes',
  'vcon://v1/discovery/analysis/types', 'vcon://v1/graph/shape', 'vcon://v1/vcons/{uuid}/attachments/type/{type}',
  'vcon://v1/vcons/{uuid}/attachments/purpose/{purpose}', 'vcon://v1/vcons/{uuid}/analysis/type/{type}',
  'vcon://v1/vcons/{uuid}/transcript', 'vcon://v1/vcons/{uuid}/summary', 'vcon://v1/vcons/{uuid}/tags'];

const keys = (o) => Object.keys(o).sort();

for (const [kind, connect] of Object.entries(transports)) {
  describe(`vcon-mcp read surface over ${kind}`, () => {
    let conn;
    let uuids;
    const call = async (name, args) => await conn.client.callTool({ name, arguments: args });
    const json = async (name, args) => toolJson(await call(name, args));

    before(async () => {
      conn = await connect();
      uuids = sampleUuids();
    });
    after(async () => { await conn?.close(); });

    test('tools/list: vcon-mcp read profile, with its parameter names', async () => {
      const { tools } = await conn.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(VCON_MCP_TOOLS).sort());
      for (const t of tools) {
        const [props, required] = VCON_MCP_TOOLS[t.name];
        const ours = Object.keys(t.inputSchema.properties ?? {});
        assert.deepEqual(ours.filter((p) => !(OUR_EXTRAS[t.name] ?? []).includes(p)).sort(), [...props].sort(), t.name);
        assert.deepEqual([...(t.inputSchema.required ?? [])].sort(), [...required].sort(), t.name);
        assert.equal(t.annotations.readOnlyHint, true);
      }
    });

    test('get_vcon: response_format full, summary, metadata', async () => {
      const [uuid] = uuids;
      const full = await json('get_vcon', { uuid });
      assert.deepEqual(keys(full), ['success', 'vcon']);
      const summary = await json('get_vcon', { uuid, response_format: 'summary' });
      assert.ok(summary.vcon.analysis.every((a) => a.type === 'summary'));
      assert.equal(summary.vcon.dialog, undefined);
      const meta = await json('get_vcon', { uuid, response_format: 'metadata' });
      assert.equal(meta.vcon.analysis, undefined);
      assert.deepEqual(meta.vcon.parties, full.vcon.parties);
    });

    test('search_vcons: metadata, ids_only, full, include_count, tags', async () => {
      const meta = await json('search_vcons', { limit: 3 });
      assert.deepEqual(keys(meta), ['count', 'response_format', 'results', 'success']);
      assert.equal(meta.response_format, 'metadata');
      assert.deepEqual(keys(meta.results[0]), ['analysis_count', 'attachments_count', 'created_at', 'dialog_count',
        'parties_count', 'subject', 'uuid']);
      const ids = await json('search_vcons', { limit: 3, response_format: 'ids_only', include_count: true });
      assert.deepEqual(ids.results, meta.results.map((r) => r.uuid));
      assert.ok(ids.total_count >= uuids.length);
      const full = await json('search_vcons', { limit: 3, response_format: 'full' });
      assert.deepEqual(full.results.map((d) => d.uuid), ids.results);
      for (const d of full.results) assert.deepEqual(d, (await json('get_vcon', { uuid: d.uuid })).vcon);
      const none = await json('search_vcons', { tags: { no_such_tag_key: 'x' }, include_count: true });
      assert.deepEqual([none.count, none.results, none.total_count], [0, [], 0]);
    });

    test('search_vcons_content: snippets, metadata, ids_only, full, include_count', async () => {
      const { vcon } = await json('get_vcon', { uuid: uuids[0] });
      const word = (vcon.subject ?? '').match(/[A-Za-z]{4,}/)?.[0] ?? vcon.parties.find((p) => p.name)?.name.split(' ')[0];
      assert.ok(word, 'a word to search for');
      const snippets = await json('search_vcons_content', { query: word, include_count: true, limit: 20 });
      assert.equal(snippets.response_format, 'snippets');
      assert.ok(snippets.count > 0 && snippets.total_count > 0);
      for (const r of snippets.results) {
        assert.deepEqual(keys(r), ['content_index', 'content_type', 'relevance_score', 'snippet', 'vcon_id']);
        assert.ok(r.snippet === null || r.snippet.length <= 501);
      }
      const meta = await json('search_vcons_content', { query: word, response_format: 'metadata', limit: 20 });
      assert.deepEqual(meta.results.map(keys)[0], ['content_type', 'relevance_score', 'vcon_id']);
      const ids = await json('search_vcons_content', { query: word, response_format: 'ids_only', limit: 20 });
      assert.deepEqual(ids.results, snippets.results.map((r) => r.vcon_id));
      // only the sample vCon (created at that instant): it fits a message on its own, which other
      // generated vCons need not
      const only = { query: word, start_date: vcon.created_at, end_date: vcon.created_at };
      const few = await json('search_vcons_content', { ...only, response_format: 'ids_only' });
      assert.ok(few.results.includes(uuids[0]));
      const full = await json('search_vcons_content', { ...only, response_format: 'full' });
      assert.deepEqual(full.results.map((d) => d.uuid), [...new Set(few.results)]);
      assert.deepEqual(full.results.find((d) => d.uuid === uuids[0]), vcon);
    });

    test('semantic and hybrid search: isError saying why', async () => {
      for (const [name, args] of [['search_vcons_semantic', { query: 'unhappy customer', threshold: 0.5, limit: 5 }],
        ['search_vcons_hybrid', { query: 'unhappy customer', semantic_weight: 0.5, response_format: 'ids_only' }],
        ['vcon_search', { mode: 'semantic', query: 'unhappy customer' }]]) {
        assert.match(errorText(await call(name, args)), /pgvector/);
      }
    });

    test('tags: get_tags, get_unique_tags, search_by_tags with full vCons', async () => {
      const unique = await json('get_unique_tags', { include_counts: true });
      assert.deepEqual(keys(unique), ['counts_per_value', 'success', 'summary', 'tags_by_key', 'total_vcons_with_tags',
        'unique_key_count', 'unique_keys']);
      assert.ok(unique.unique_keys.length > 0, 'the sample vCons have tags');
      const key = unique.unique_keys[0];
      const value = unique.tags_by_key[key][0];
      const found = await json('search_by_tags', { tags: { [key]: value }, return_full_vcons: true, max_full_vcons: 2 });
      assert.equal(found.count, Math.min(unique.counts_per_value[key][value], 50));
      assert.equal(found.count, found.vcon_uuids.length);
      assert.deepEqual(found.vcons.map((d) => d.uuid), found.vcon_uuids.slice(0, 2));
      const tags = await json('get_tags', { vcon_uuid: found.vcon_uuids[0] });
      assert.equal(tags.tags[key], value);
      assert.equal(tags.count, Object.keys(tags.tags).length);
      const one = await json('get_tags', { vcon_uuid: found.vcon_uuids[0], key });
      assert.deepEqual(one, { success: true, key, value, exists: true });
    });

    test('vcon_fetch and vcon_search: the contract envelope', async () => {
      const fetched = await json('vcon_fetch', { id: uuids[0] });
      assert.deepEqual(keys(fetched), ['item', 'meta', 'ok']);
      assert.equal(fetched.item.id, uuids[0]);
      assert.deepEqual(fetched.meta.include, ['core', 'parties', 'summary']);
      const page = await json('vcon_search', { limit: 2, include: ['core', 'counts'] });
      assert.deepEqual(keys(page), ['items', 'meta', 'ok', 'page']);
      assert.equal(page.page.count, page.items.length);
      const next = await json('vcon_search', { limit: 2, include: ['core', 'counts'], cursor: page.page.next_cursor });
      assert.ok(!next.items.some((i) => page.items.some((j) => j.id === i.id)), 'pages do not overlap');
      const tooLarge = await json('vcon_search', { include: ['core', 'dialog', 'analysis', 'attachments'],
        max_response_bytes: 1024 });
      assert.equal(tooLarge.error.code, 'RESPONSE_TOO_LARGE');
    });

    test('discovery tools: capabilities, graph shape, taxonomy, aggregate, describe_response_shape', async () => {
      assert.equal((await json('vcon_capabilities', {})).ok, true);
      const shape = await json('vcon_graph_shape', {});
      assert.deepEqual(keys(shape.item), ['corpus', 'edges', 'generated_at', 'nodes', 'schema_version']);
      const taxonomy = await json('vcon_taxonomy', {});
      assert.ok(taxonomy.item.coverage.vcons_total >= uuids.length);
      const agg = await json('vcon_aggregate', { group_by: 'dealer', tags: {}, having: { min_count: 1 }, limit: 5 });
      assert.deepEqual(keys(agg.item), ['group_by', 'rows']);
      const described = await json('describe_response_shape', {});
      assert.ok(described.items.length >= 13);
      for (const { tool_name } of described.items) {
        const d = await json('describe_response_shape', { tool_name });
        assert.equal(d.item.tool_name, tool_name);
      }
    });

    test('schema tools: get_schema and get_examples in both formats', async () => {
      assert.equal((await json('get_schema', {})).$ref, '#/definitions/VCon');
      const ts = await call('get_schema', { format: 'typescript', version: 'latest' });
      assert.match(ts.content[0].text, /export interface VCon/);
      const ex = await json('get_examples', { example_type: 'phone_call' });
      assert.ok(ex.dialog.length > 0 && ex.analysis.length > 0);
      const yaml = await call('get_examples', { example_type: 'chat', format: 'yaml' });
      assert.match(yaml.content[0].text, /^parties:$/m);
    });

    test('resources: every vcon-mcp URI is listed or templated, and each reads', async () => {
      const { resources } = await conn.client.listResources();
      const { resourceTemplates } = await conn.client.listResourceTemplates();
      assert.deepEqual([...resources.map((r) => r.uri), ...resourceTemplates.map((t) => t.uriTemplate)].sort(),
        [...VCON_MCP_RESOURCES].sort());
      const [uuid] = uuids;
      const { vcon } = await json('get_vcon', { uuid });
      const read = async (uri) => {
        const { contents } = await conn.client.readResource({ uri });
        assert.equal(contents.length, 1);
        assert.equal(contents[0].uri, uri);
        return JSON.parse(contents[0].text);
      };
      for (const r of resources) assert.ok(await read(r.uri), r.uri);
      const type = vcon.analysis?.[0]?.type ?? 'summary';
      const purpose = vcon.attachments?.find((a) => a.purpose)?.purpose ?? 'tags';
      const filled = resourceTemplates.map((t) => t.uriTemplate.replace('{uuid}', uuid).replace('{type}', type)
        .replace('{purpose}', purpose));
      for (const uri of filled) assert.ok(await read(uri), uri);
      assert.deepEqual(await read(`vcon://v1/vcons/${uuid}`), vcon);
      assert.deepEqual((await read(`vcon://v1/vcons/${uuid}/analysis/type/${type}`)).analysis,
        (vcon.analysis ?? []).filter((a) => a.type === type));
      const recent = await read('vcon://v1/vcons/recent/2');
      assert.deepEqual(keys(recent), ['count', 'limit', 'vcons']);
      const ids = await read('vcon://v1/vcons/ids/2');
      assert.deepEqual(keys(ids), ['count', 'has_more', 'limit', 'next_cursor', 'vcons']);
      const next = await read(`vcon://v1/vcons/ids/2/after/${encodeURIComponent(ids.next_cursor)}`);
      assert.ok(!next.vcons.some((v) => ids.vcons.some((w) => w.uuid === v.uuid)));
    });

    test('prompts: list and get', async () => {
      const { prompts } = await conn.client.listPrompts();
      assert.ok(prompts.length >= 8);
      for (const p of prompts) {
        const args = Object.fromEntries((p.arguments ?? []).filter((a) => a.required).map((a) => [a.name, 'sales']));
        const got = await conn.client.getPrompt({ name: p.name, arguments: args });
        assert.equal(got.messages[0].role, 'user');
        assert.match(got.messages[0].content.text, /sales|search/);
      }
    });
  });
}
