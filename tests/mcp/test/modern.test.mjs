// The current MCP revision (2026-07-28) with the v2 TypeScript client (@modelcontextprotocol/client),
// in `auto` negotiation (probes with server/discover, falls back to initialize only for a legacy
// server) and pinned to 2026-07-28 (no fallback: fails unless the server speaks it), over HTTP and
// stdio. The v1 SDK tests next to this file cover the legacy era on the same server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

import { MCP_URL, assertCleanStderr, authHeaders, required, sampleUuids, serverEnv, toolJson } from '../lib/env.mjs';

const MODERN = '2026-07-28';
const MODES = { auto: { mode: 'auto' }, pinned: { mode: { pin: MODERN } } };

async function connectV2(kind, versionNegotiation) {
  const client = new Client({ name: 'vcon-redis-tests-v2', version: '1.0.0' }, { versionNegotiation });
  let stderr = '';
  let transport;
  if (kind === 'http') {
    transport = new StreamableHTTPClientTransport(MCP_URL(), { requestInit: { headers: authHeaders() } });
  } else {
    transport = new StdioClientTransport({
      command: required('VCON_SERVER_BIN'), args: ['--stdio'], env: serverEnv(), stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk) => { stderr += chunk; });
  }
  await client.connect(transport);
  return {
    client,
    close: async () => {
      await client.close();
      assertCleanStderr(stderr);
    },
  };
}

// Runs SQL on the stack's database (the psql of PG_BIN, as the harness does).
function sql(statement) {
  const psql = `${process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'}/psql`;
  return execFileSync(psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', required('DATABASE_URL'), '-c', statement],
    { encoding: 'utf8' }).trim();
}

for (const kind of ['http', 'stdio']) {
  for (const [modeName, mode] of Object.entries(MODES)) {
    describe(`2026-07-28 with the v2 client over ${kind}, ${modeName}`, () => {
      let conn;
      let uuid;
      before(async () => {
        conn = await connectV2(kind, mode);
        uuid = sampleUuids()[0];
      });
      after(async () => { await conn?.close(); });

      test('negotiates the modern era and learns the server from server/discover', () => {
        assert.equal(conn.client.getProtocolEra(), 'modern');
        assert.equal(conn.client.getNegotiatedProtocolVersion(), MODERN);
        assert.equal(conn.client.getServerVersion()?.name, 'vcon-cache-server');
        assert.deepEqual(conn.client.getServerCapabilities()?.tools, { listChanged: false });
        assert.ok(conn.client.getServerCapabilities()?.resources);
        assert.match(conn.client.getInstructions() ?? '', /vCon/);
      });

      test('server/discover', async () => {
        const d = await conn.client.discover();
        assert.ok(d.supportedVersions.includes(MODERN));
        assert.ok(d.supportedVersions.includes('2025-11-25'), 'dual-era: the legacy revisions too');
        assert.deepEqual(d.capabilities, conn.client.getServerCapabilities());
      });

      test('tools/list', async () => {
        const { tools } = await conn.client.listTools();
        assert.ok(tools.some((t) => t.name === 'get_vcon'));
        for (const t of tools) assert.equal(t.annotations?.readOnlyHint, true, t.name);
      });

      test('tools/call get_vcon', async () => {
        const out = toolJson(await conn.client.callTool({ name: 'get_vcon', arguments: { uuid } }));
        assert.equal(out.vcon.uuid, uuid);
        const bad = await conn.client.callTool({ name: 'get_vcon', arguments: { uuid: 'nope' } });
        assert.equal(bad.isError, true);
      });

      test('resources/read and resources/templates/list', async () => {
        const uri = `vcon://v1/vcons/${uuid}`;
        const { contents } = await conn.client.readResource({ uri });
        assert.equal(contents.length, 1);
        assert.equal(contents[0].uri, uri);
        assert.equal(JSON.parse(contents[0].text).uuid, uuid);
        const { resourceTemplates } = await conn.client.listResourceTemplates();
        assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'vcon://v1/vcons/{uuid}'));
      });

      test('a missing vCon is -32602 in the modern era (-32002 in legacy)', async () => {
        const uri = `vcon://v1/vcons/${randomUUID()}`;
        await assert.rejects(conn.client.readResource({ uri }), (e) => {
          assert.ok(e instanceof ProtocolError, String(e));
          assert.equal(e.code, -32602);
          assert.deepEqual(e.data, { uri });
          return true;
        });
      });
    });
  }
}

describe('2026-07-28 caching hints as the v2 client uses them', () => {
  test('a vCon changed in PostgreSQL is read fresh at once (ttlMs 0), not from the client cache', async () => {
    const conn = await connectV2('http', MODES.pinned);
    const uuid = sampleUuids()[1] ?? sampleUuids()[0];
    const uri = `vcon://v1/vcons/${uuid}`;
    const before = sql(`SELECT subject FROM vcons WHERE uuid = '${uuid}'`);
    try {
      await conn.client.readResource({ uri });
      const subject = `modern era ${randomUUID()}`;
      sql(`UPDATE vcons SET subject = '${subject}' WHERE uuid = '${uuid}'`);
      const { contents } = await conn.client.readResource({ uri });
      assert.equal(JSON.parse(contents[0].text).subject, subject);
    } finally {
      sql(`UPDATE vcons SET subject = ${before === '' ? 'NULL' : `'${before.replaceAll("'", "''")}'`} WHERE uuid = '${uuid}'`);
      await conn.close();
    }
  });
});

describe('legacy clients are unaffected', () => {
  test('the v2 client in legacy mode (its default) still initializes', async () => {
    const conn = await connectV2('http', undefined);
    try {
      assert.equal(conn.client.getProtocolEra(), 'legacy');
      assert.equal(conn.client.getNegotiatedProtocolVersion(), '2025-11-25');
      const { tools } = await conn.client.listTools();
      assert.ok(tools.some((t) => t.name === 'get_vcon'));
    } finally {
      await conn.close();
    }
  });
});
