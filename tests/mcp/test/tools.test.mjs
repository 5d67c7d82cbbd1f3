// Every tool and the resource against the real stack (PostgreSQL + Redis + generated vCons), over
// both transports. Expectations are derived from the documents themselves, so any loaded data set
// works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { sampleUuids, toolJson, transports } from '../lib/env.mjs';

const METADATA_KEYS = ['vcon', 'uuid', 'created_at', 'updated_at', 'subject', 'extensions', 'critical', 'parties'];

// The 'key:value' tags of a document (attachments with purpose or type 'tags').
function tagsOf(doc) {
  const tags = {};
  for (const a of doc.attachments ?? []) {
    if (a.purpose !== 'tags' && a.type !== 'tags') continue;
    let body = a.body;
    if (typeof body === 'string') { try { body = JSON.parse(body); } catch { continue; } }
    const pairs = Array.isArray(body) ? body : Object.entries(body ?? {}).map(([k, v]) => `${k}:${v}`);
    for (const p of pairs) {
      if (typeof p !== 'string' || !p.includes(':')) continue;
      const i = p.indexOf(':');
      tags[p.slice(0, i)] = p.slice(i + 1);
    }
  }
  return tags;
}

for (const [kind, connect] of Object.entries(transports)) {
  describe(`tools over ${kind}`, () => {
    let conn;
    let uuids;
    const docs = new Map();
    const call = async (name, args) => await conn.client.callTool({ name, arguments: args });

    before(async () => {
      conn = await connect();
      uuids = sampleUuids();
      for (const uuid of uuids) {
        const out = toolJson(await call('get_vcon', { uuid }));
        docs.set(uuid, out.vcon);
      }
    });
    after(async () => { await conn?.close(); });

    test('get_vcon full: the whole document', () => {
      for (const [uuid, doc] of docs) {
        assert.equal(doc.uuid, uuid);
        assert.ok(Array.isArray(doc.parties) && doc.parties.length > 0);
      }
    });

    test('get_vcon accepts an uppercase uuid', async () => {
      const [uuid] = uuids;
      const out = toolJson(await call('get_vcon', { uuid: uuid.toUpperCase() }));
      assert.deepEqual(out.vcon, docs.get(uuid));
    });

    test('get_vcon metadata and summary projections', async () => {
      for (const [uuid, doc] of docs) {
        const meta = toolJson(await call('get_vcon', { uuid, response_format: 'metadata' }));
        assert.equal(meta.success, true);
        const expected = Object.fromEntries(METADATA_KEYS.filter((k) => k in doc).map((k) => [k, doc[k]]));
        assert.deepEqual(meta.vcon, expected);

        const summary = toolJson(await call('get_vcon', { uuid, response_format: 'summary' }));
        assert.deepEqual(summary.vcon, {
          ...expected,
          analysis: (doc.analysis ?? []).filter((a) => a.type === 'summary'),
        });
      }
    });

    test('resources/read returns the cached document text', async () => {
      for (const [uuid, doc] of docs) {
        const uri = `vcon://v1/vcons/${uuid}`;
        const { contents } = await conn.client.readResource({ uri });
        assert.equal(contents.length, 1);
        assert.equal(contents[0].uri, uri);
        assert.equal(contents[0].mimeType, 'application/json');
        assert.deepEqual(JSON.parse(contents[0].text), doc);
      }
    });

    test('search_vcons: newest first, paging, filters narrow to the vCon', async () => {
      const page1 = toolJson(await call('search_vcons', { limit: 2, include_count: true }));
      assert.equal(page1.success, true);
      assert.equal(page1.count, page1.results.length);
      assert.ok(page1.count <= 2);
      assert.ok(page1.total_count >= uuids.length, 'total_count counts every vCon');
      const page2 = toolJson(await call('search_vcons', { limit: 2, offset: 1 }));
      if (page1.count === 2) assert.equal(page2.results[0].uuid, page1.results[1].uuid);
      for (let i = 1; i < page1.results.length; i++) {
        assert.ok(page1.results[i - 1].created_at >= page1.results[i].created_at);
      }

      const [uuid] = uuids;
      const doc = docs.get(uuid);
      const party = doc.parties.find((p) => p.name) ?? {};
      const args = { start_date: doc.created_at, end_date: doc.created_at, limit: 1000 };
      if (doc.subject) args.subject = doc.subject;
      if (party.name) args.party_name = party.name;
      const found = toolJson(await call('search_vcons', args));
      const row = found.results.find((r) => r.uuid === uuid);
      assert.ok(row, `search_vcons ${JSON.stringify(args)} finds ${uuid}`);
      assert.equal(row.parties_count, doc.parties.length);
      assert.equal(row.dialog_count, (doc.dialog ?? []).length);
      assert.equal(row.analysis_count, (doc.analysis ?? []).length);
      assert.equal(row.attachments_count, (doc.attachments ?? []).length);
      if (doc.subject) assert.equal(row.subject, doc.subject);
      assert.equal(row.total_count, undefined, 'total_count is reported once, not per row');

      const none = toolJson(await call('search_vcons', { subject: 'no such subject 5f1c2e9a-zzzz' }));
      assert.deepEqual(none.results, []);
      assert.equal(none.count, 0);
    });

    test('search_vcons_content: full-text match on a subject word, date-bounded', async () => {
      const entry = [...docs.entries()].find(([, d]) => typeof d.subject === 'string' && /[A-Za-z]{4,}/.test(d.subject));
      assert.ok(entry, 'a sample vCon has a subject with a word to search for');
      const [uuid, doc] = entry;
      const word = doc.subject.match(/[A-Za-z]{4,}/)[0];
      const out = toolJson(await call('search_vcons_content', {
        query: word, start_date: doc.created_at, end_date: doc.created_at, limit: 100,
      }));
      assert.equal(out.success, true);
      assert.equal(out.count, out.results.length);
      const hit = out.results.find((r) => r.vcon_id === uuid);
      assert.ok(hit, `search_vcons_content "${word}" finds ${uuid}`);
      for (const r of out.results) {
        assert.ok(['subject', 'dialog', 'analysis', 'party'].includes(r.content_type));
        assert.equal(typeof r.relevance_score, 'number');
      }
      const none = toolJson(await call('search_vcons_content', { query: 'xyzzyplughnotaword' }));
      assert.equal(none.count, 0);
    });

    test('search_by_tags: a vCon is found by its own tags', async () => {
      const entry = [...docs.entries()].find(([, d]) => Object.keys(tagsOf(d)).length > 0);
      assert.ok(entry, 'a sample vCon has tags');
      const [uuid, doc] = entry;
      const tags = tagsOf(doc);
      const out = toolJson(await call('search_by_tags', { tags, limit: 100 }));
      assert.equal(out.success, true);
      assert.deepEqual(out.tags_searched, tags);
      assert.equal(out.count, out.vcon_uuids.length);
      assert.ok(out.vcon_uuids.includes(uuid), `search_by_tags ${JSON.stringify(tags)} finds ${uuid}`);
      const none = toolJson(await call('search_by_tags', { tags: { no_such_tag_key: 'x' } }));
      assert.deepEqual(none.vcon_uuids, []);
    });
  });
}
