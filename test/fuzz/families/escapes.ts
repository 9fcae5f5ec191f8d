// Terminal escapes in every string field of the manifest: taken and printed safely, or
// refused where the field is checked.

import { ESCAPES, OTHER_STORE, setAt, archiveOf, type Source, type CaseGenerator } from '../cases.js';

export function escapesCases(src: Source): CaseGenerator {
  return (rng) => {
    const where = rng.pick([
      ['description'],
      ['created_at'],
      ['config', 'username'],
      ['config', 'agent_name'],
      ['config', 'collection_name'],
      ['stats', 'qdrant', 'error'],
      ['tool', 'name'],
      ['qdrant', 'url'],
      ['qdrant', 'server_version'],
      ['qdrant', 'distance'],
      ['created_at_utc'],
      ['timestamp'],
      ['kind'],
    ]);
    const text = rng.pick(ESCAPES);
    const mustReject = where[0] === 'timestamp' || where[0] === 'kind';
    return {
      family: 'escapes',
      label: `manifest ${where.join('.')} = ${JSON.stringify(text)}`,
      expect: mustReject ? 'reject' : 'accept',
      data: 'source',
      message: /manifest\.json field/,
      // another user or agent named: an archive of another store
      restoreRefusal:
        where[0] === 'config' && (where[1] === 'username' || where[1] === 'agent_name') ? OTHER_STORE : undefined,
      make: () => archiveOf(src, { manifest: (m) => setAt(m, where, `${text} ${where.join('.')}`) }),
    };
  };
}
