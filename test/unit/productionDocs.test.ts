import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { LOG_EVENTS, METRICS } from '../../names/index.ts';

/**
 * The production documents stay true to the code: every test they cite exists under the name they
 * quote, every log event and metric they name is one the code writes, the security report's threats
 * point at controls it lists, and the runbook keeps its five situations.
 */

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');
const DOCUMENTS = ['docs/security.md', 'docs/operations.md', 'docs/production-checklist.md'] as const;

/**
 * The tests a document cites: a backticked `test/….test.ts` path, then the quoted names after it,
 * up to the next path, the end of a table row or a blank line.
 */
function citations(text: string): { path: string; name: string }[] {
  const found: { path: string; name: string }[] = [];
  for (const block of text.split(/\n\s*\n|\n(?=\|)/)) {
    let path: string | null = null;
    for (const match of block.matchAll(/`(test\/[\w./-]+\.test\.ts)`|"([^"]+)"/g)) {
      if (match[1]) path = match[1];
      else if (path && match[2]) found.push({ path, name: match[2].replace(/\s+/g, ' ') });
    }
  }
  return found;
}

const FILE_SUFFIXES = /\.(ts|js|md|json|sql|svg|dot|png|css|html|db)$/;
const logAreas = new Set(Object.keys(LOG_EVENTS).map((name) => name.split('.')[0]));

describe('the production documents', () => {
  for (const document of DOCUMENTS)
    it(`should cite in ${document} only tests that exist, by their names`, async () => {
      const text = await read(document);
      const cited = citations(text);
      const missing: string[] = [];
      for (const { path, name } of cited) {
        const source = await read(path).catch(() => null);
        if (source === null) missing.push(`${path} does not exist`);
        else if (!source.replace(/\s+/g, ' ').includes(name)) missing.push(`${path} has no test "${name}"`);
      }
      assert.deepEqual(missing, []);
      if (document === 'docs/security.md') assert.ok(cited.length > 50, `${cited.length} citations`);
    });

  for (const document of DOCUMENTS)
    it(`should name in ${document} only the log events and metrics the code has`, async () => {
      const text = await read(document);
      const unknown: string[] = [];
      for (const [, token] of text.matchAll(/`([^`\s]+)`/g)) {
        const name = (token as string).replace(/\{.*$/, '');
        if (/^filot_[a-z0-9_]+$/.test(name)) {
          if (!Object.values(METRICS).some((metric) => metric.name === name)) unknown.push(name);
        } else if (/^filot\.[a-z0-9_.]+$/.test(name)) {
          if (!Object.values(METRICS).some((metric) => metric.emf === name)) unknown.push(name);
        } else if (/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/.test(name) && !FILE_SUFFIXES.test(name)) {
          if (logAreas.has(name.split('.')[0]) && !(name in LOG_EVENTS) && name !== 'process.env') unknown.push(name);
        }
      }
      assert.deepEqual(unknown, []);
    });

  it('should point each threat of the security report at controls it lists', async () => {
    const text = await read('docs/security.md');
    const controls = new Set([...text.matchAll(/^\| ([A-H]\d+) \|/gm)].map((match) => match[1] as string));
    const threats = text.slice(text.indexOf('### Threats'), text.indexOf('## 2.'));
    // `B1–B4` stands for B1, B2, B3 and B4.
    const referenced = [...threats.matchAll(/\b([A-H])(\d+)(?:–\1(\d+))?\b/g)].flatMap(([, area, from, to]) =>
      Array.from({ length: Number(to ?? from) - Number(from) + 1 }, (_, index) => `${area}${Number(from) + index}`),
    );
    assert.ok(referenced.length > 10);
    assert.deepEqual(
      referenced.filter((id) => !controls.has(id)),
      [],
      'threats point at controls the report does not list',
    );
    assert.deepEqual(
      [...controls].filter((id) => !referenced.includes(id)),
      [],
      'controls that answer no threat',
    );
  });

  it('should keep the runbook: five situations, each with what to see, read and do, and what recovers', async () => {
    const text = await read('docs/operations.md');
    const runbook = text.slice(text.indexOf('## Runbook'), text.indexOf('\n## ', text.indexOf('## Runbook') + 1));
    const sections = runbook.split(/\n### /).slice(1);
    const titles = sections.map((section) => section.split('\n')[0]);
    for (const title of [
      'A stuck document',
      'Reprocessing a document',
      'Redis loss',
      'Postgres failover',
      'BULI2 outage',
    ])
      assert.ok(titles.includes(title), `the runbook has "${title}"`);
    for (const section of sections.filter((body) => /^(A stuck|Redis|Postgres|BULI2)/.test(body)))
      for (const part of ['**What you see.**', '**What to read', '**What to do.**', '**What recovers by itself.**'])
        assert.ok(section.includes(part), `${section.split('\n')[0]}: ${part}`);
  });

  it('should link to files and headings that exist', async () => {
    const broken: string[] = [];
    for (const document of DOCUMENTS) {
      const text = await read(document);
      for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]*))?\)/g)) {
        if (/^[a-z]+:/.test(target as string)) continue;
        const url = target ? new URL(target, new URL(document, root)) : new URL(document, root);
        const linked = await readFile(url, 'utf8').catch(() => null);
        if (linked === null) broken.push(`${document} → ${target}`);
        else if (anchor && url.pathname.endsWith('.md') && !slugs(linked).has(anchor))
          broken.push(`${document} → ${target}#${anchor}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});

/** The anchors GitHub gives a Markdown file's headings. */
function slugs(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
      (match[1] as string)
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}
