// The environment the MCP client tests run in, and how to reach the server under test.
// Everything comes from the harness (tests/mcp/run.sh): no defaults that could silently point at
// some other server.
//   MCP_URL            Streamable HTTP endpoint of a running vcon-cache-server
//   VCON_SERVER_BIN    the server binary (stdio tests and dedicated servers are spawned from it)
//   DATABASE_URL, REDIS_URL   the stack the server reads; passed explicitly to spawned servers
//   VCON_API_TOKEN     bearer token of the server at MCP_URL, if it requires one
//   VCON_SAMPLE_UUIDS  comma list of vCon uuids present in the database
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (run the tests through tests/mcp/run.sh)`);
  return value;
}

export const MCP_URL = () => new URL(required('MCP_URL'));

export function sampleUuids() {
  const uuids = required('VCON_SAMPLE_UUIDS').split(',').map((s) => s.trim()).filter(Boolean);
  if (uuids.length === 0) throw new Error('VCON_SAMPLE_UUIDS is empty');
  return uuids;
}

// Headers every request to the shared server needs (the token, when it has one).
export function authHeaders() {
  const token = process.env.VCON_API_TOKEN;
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// What a spawned server needs: the stack, and sanitizer settings when the binary is instrumented
// (the SDK's stdio transport passes only a small default environment plus what we give it).
export function serverEnv(extra = {}) {
  const env = { DATABASE_URL: required('DATABASE_URL'), REDIS_URL: required('REDIS_URL') };
  for (const name of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS', 'VCON_REDIS_EXPIRY']) {
    if (process.env[name]) env[name] = process.env[name];
  }
  return { ...env, ...extra };
}

export function newClient() {
  return new Client({ name: 'vcon-redis-tests', version: '1.0.0' });
}

export async function connectHttp({ url = MCP_URL(), headers = authHeaders() } = {}) {
  const client = newClient();
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

// Sanitizer or crash reports on a spawned server's stderr fail the test that spawned it.
export function assertCleanStderr(text) {
  if (/AddressSanitizer|LeakSanitizer|runtime error:/.test(text)) {
    throw new Error(`server reported a sanitizer error:\n${text}`);
  }
}

export async function connectStdio() {
  const client = newClient();
  const transport = new StdioClientTransport({
    command: required('VCON_SERVER_BIN'),
    args: ['--stdio'],
    env: serverEnv(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => { stderr += chunk; });
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      await client.close();
      assertCleanStderr(stderr);
    },
  };
}

// Both transports, for tests that must hold on each.
export const transports = { http: connectHttp, stdio: connectStdio };

async function freePort() {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// A dedicated HTTP server (e.g. with an API token), stopped by the returned stop().
export async function startServer({ env = {}, args = [] } = {}) {
  const port = await freePort();
  const child = spawn(required('VCON_SERVER_BIN'), ['--listen', `127.0.0.1:${port}`, ...args], {
    env: { PATH: process.env.PATH, ...serverEnv(env) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${stderr}`);
    try {
      if ((await fetch(`${base}/healthz`)).status > 0) break;
    } catch { /* not listening yet */ }
    if (i > 200) throw new Error(`server did not start on ${base}:\n${stderr}`);
    await sleep(50);
  }
  return {
    url: new URL(`http://localhost:${port}/mcp`),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      assertCleanStderr(stderr);
    },
  };
}

// POST one raw body to an MCP endpoint, as a client that speaks the protocol at the HTTP level.
export async function postRaw(body, { url = MCP_URL(), headers = {} } = {}) {
  return await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...authHeaders(),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// The parsed JSON of a tool result's single text item, checked against structuredContent.
export function toolJson(result) {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  const texts = result.content.filter((c) => c.type === 'text');
  if (texts.length !== 1) throw new Error(`expected one text item, got ${JSON.stringify(result.content)}`);
  assert.deepStrictEqual(JSON.parse(texts[0].text), result.structuredContent,
    'the text item must carry the same JSON as structuredContent');
  return result.structuredContent;
}

export function errorText(result) {
  if (!result.isError) throw new Error(`expected isError, got ${JSON.stringify(result)}`);
  return result.content.map((c) => c.text ?? '').join('\n');
}
