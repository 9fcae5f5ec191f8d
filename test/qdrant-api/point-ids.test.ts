// Point ids on the Qdrant test server: exact u64 ids on the wire, Qdrant's order, UUID
// notations, and Qdrant's error text for ids that are neither.
// Part of the tests of the Qdrant-compatible test server (test/qdrant-server/); shared set-up
// in ./support.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Schemas } from '@qdrant/js-client-rest';
import { start, clientFor, raw, resultOf, errorTextOf, ID_ERROR_TAIL } from './support.js';

describe('points: ids', () => {
  it('keeps u64 ids exact over the wire, orders integers before UUIDs, normalises UUID notations', async (t) => {
    const server = await start(t);
    await clientFor(server).createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    const body =
      '{"points":[' +
      '{"id":18446744073709551615,"vector":[1]},' +
      '{"id":"{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}","vector":[2]},' +
      '{"id":9007199254740993,"vector":[3]},' +
      '{"id":"urn:uuid:00000000-0000-0000-0000-00000000000a","vector":[4]},' +
      '{"id":"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF","vector":[5]},' +
      '{"id":0,"vector":[6]},' +
      '{"id":9007199254740992,"vector":[7]}]}';
    resultOf(await raw(server, 'PUT', '/collections/c/points?wait=true', body));
    const page = await raw(server, 'POST', '/collections/c/points/scroll', '{"limit":3,"with_payload":false}');
    assert.equal(
      page.text.slice(0, page.text.indexOf(',"status"')),
      '{"result":{"points":[{"id":0},{"id":9007199254740992},{"id":9007199254740993}],' +
        '"next_page_offset":18446744073709551615}',
    );
    const rest = resultOf(
      await raw(server, 'POST', '/collections/c/points/scroll', '{"offset":18446744073709551615,"with_payload":false}'),
    ) as Schemas['ScrollResult'];
    assert.deepEqual(
      rest.points.map((p) => p.id),
      [
        18446744073709551615n,
        '00000000-0000-0000-0000-00000000000a',
        '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ],
    );
    assert.equal(rest.next_page_offset, null);
    assert.deepEqual(
      server.getPoints('c').map((p) => p.id),
      [
        0,
        9007199254740992n,
        9007199254740993n,
        18446744073709551615n,
        '00000000-0000-0000-0000-00000000000a',
        '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
      ],
    );
    // payload integers beyond 2^53 are kept exact too
    resultOf(
      await raw(
        server,
        'PUT',
        '/collections/c/points?wait=true',
        '{"points":[{"id":0,"vector":[6],"payload":{"big":18446744073709551615,"neg":-9223372036854775808}}]}',
      ),
    );
    const first = await raw(server, 'POST', '/collections/c/points/scroll', '{"limit":1}');
    assert.ok(
      first.text.includes('"points":[{"id":0,"payload":{"big":18446744073709551615,"neg":-9223372036854775808}}]'),
      first.text,
    );
    assert.deepEqual(server.getPoints('c')[0]?.payload, { big: 18446744073709551615n, neg: -9223372036854775808n });
    // upserting the same u64 id again replaces that point instead of adding one
    resultOf(
      await raw(
        server,
        'PUT',
        '/collections/c/points?wait=true',
        '{"points":[{"id":18446744073709551615,"vector":[9]}]}',
      ),
    );
    assert.equal(server.getPoints('c').length, 7);
  });

  it("rejects ids that are neither unsigned integers nor UUIDs with Qdrant's text and position", async (t) => {
    const server = await start(t);
    await clientFor(server).createCollection('c', { vectors: { size: 1, distance: 'Dot' } });
    const cases: Array<[string, string]> = [
      ['"1"', '1'],
      ['-1', '-1'],
      ['1.5', '1.5'],
      ['"abc"', 'abc'],
      ['"550e8400-e29b-41d4-a716-44665544000"', '550e8400-e29b-41d4-a716-44665544000'],
      ['18446744073709551616', '18446744073709552000'],
      ['null', 'Unit'],
    ];
    for (const [literal, shown] of cases) {
      const body = `{"points":[{"id":${literal},"vector":[1]}]}`;
      const r = await raw(server, 'PUT', '/collections/c/points?wait=true', body);
      assert.equal(r.status, 400, literal);
      const column = '{"points":[{"id":'.length + literal.length;
      assert.equal(
        errorTextOf(r),
        `Format error in JSON body: value ${shown} ${ID_ERROR_TAIL} at line 1 column ${column}`,
      );
    }
    const offset = await raw(server, 'POST', '/collections/c/points/scroll', '{"offset":"x"}');
    assert.equal(offset.status, 400);
    assert.match(errorTextOf(offset), /^Format error in JSON body: value x is not a valid point ID/);
    assert.equal(server.getPoints('c').length, 0);
  });
});
