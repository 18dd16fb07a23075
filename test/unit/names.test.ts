import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DOCUMENT_EVENT_TYPES, EFFECT_KINDS, LOG_EVENTS, METRICS } from '../../names/index.ts';

const operations = () => readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** The rows of the log-event table in docs/operations.md: the backticked names in each row's first cell. */
async function documentedLogEvents(): Promise<string[]> {
  const text = await operations();
  const start = text.indexOf('| event | level | meaning');
  assert.ok(start >= 0, 'docs/operations.md has the log-event table');
  const rows = text.slice(start).split('\n').slice(2);
  const table = rows.slice(
    0,
    rows.findIndex((row) => !row.startsWith('|')),
  );
  return table.flatMap((row) =>
    [...(row.split('|')[1] ?? '').matchAll(/`([a-z0-9_.]+)`/g)].map((match) => match[1] ?? ''),
  );
}

describe('the catalogue of names', () => {
  it('should document every log event in docs/operations.md, and no event the code cannot write', async () => {
    const documented = new Set(await documentedLogEvents());
    const catalogued = new Set(Object.keys(LOG_EVENTS));
    assert.deepEqual(
      [...catalogued].filter((name) => !documented.has(name)),
      [],
      'catalogued but not documented',
    );
    assert.deepEqual(
      [...documented].filter((name) => !catalogued.has(name)),
      [],
      'documented but not catalogued',
    );
  });

  it('should name log events as area.event in lower snake case', () => {
    for (const name of Object.keys(LOG_EVENTS)) assert.match(name, /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/);
  });

  it('should give every metric a unique Prometheus name, listed in docs/operations.md', async () => {
    const text = await operations();
    const names = Object.values(METRICS).map((metric) => metric.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) {
      assert.match(name, /^filot_[a-z0-9_]+$/);
      assert.ok(text.includes(`\`${name}\``), `${name} is documented`);
    }
  });

  it('should list the machine events and the effect kinds', () => {
    assert.ok(DOCUMENT_EVENT_TYPES.includes('PROCESSING_STARTED'));
    assert.ok(DOCUMENT_EVENT_TYPES.includes('REVIEW_DECIDED'));
    assert.deepEqual([...EFFECT_KINDS], ['enqueue_ocr', 'start_review']);
  });
});
