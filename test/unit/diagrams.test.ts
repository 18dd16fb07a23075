import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ARCHITECTURE_DIAGRAM, ARCHITECTURE_DOT, architectureDiagramSvg } from '../../scripts/architectureDiagram.ts';
import { MACHINE_DIAGRAM, machineDiagramSvg } from '../../scripts/machineDiagram.ts';
import { machineShape } from '../../server/routes/inspector/machineDrawing.ts';

/**
 * The committed drawings in docs/images are what their sources draw today: the document machine's
 * from the machine's own definition, the architecture's from its DOT file. A change to either source
 * without running its script fails here.
 */
describe('the committed diagrams', () => {
  it('should hold the document machine as it is defined now (node scripts/machineDiagram.ts)', async () => {
    const committed = await readFile(MACHINE_DIAGRAM, 'utf8');
    assert.ok(
      committed === (await machineDiagramSvg()),
      'docs/images/document-machine.svg is stale: run node scripts/machineDiagram.ts',
    );
  });

  it('should draw every state and every event of the machine', async () => {
    const svg = await readFile(MACHINE_DIAGRAM, 'utf8');
    const shape = machineShape();
    for (const state of shape.states) assert.ok(svg.includes(`<title>${state.status}</title>`), state.status);
    for (const transition of shape.transitions)
      assert.ok(svg.includes(`>${transition.event}</text>`), `${transition.event} is drawn`);
  });

  it('should hold the rendering of docs/images/architecture.dot (node scripts/architectureDiagram.ts)', async () => {
    const committed = await readFile(ARCHITECTURE_DIAGRAM, 'utf8');
    assert.ok(
      committed === (await architectureDiagramSvg(await readFile(ARCHITECTURE_DOT, 'utf8'))),
      'docs/images/architecture.svg is stale: run node scripts/architectureDiagram.ts',
    );
  });

  it('should show the processes, stores and external systems in the architecture', async () => {
    const dot = await readFile(ARCHITECTURE_DOT, 'utf8');
    for (const node of [
      'api',
      'ocr',
      'review',
      'loops',
      'postgres',
      'redis',
      'objects',
      'temporal',
      'buli2',
      'app',
      'console',
      'inspector',
      'cloudwatch',
    ])
      assert.match(dot, new RegExp(`^\\s*${node} \\[label=|^\\s*${node} \\[shape=`, 'm'), `${node} is a node`);
  });

  it('should be referenced from the documents that show them', async () => {
    const architecture = await readFile(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(architecture.includes('](images/architecture.svg)'), 'docs/architecture.md shows the architecture');
    assert.ok(architecture.includes('](images/document-machine.svg)'), 'docs/architecture.md shows the machine');
    assert.ok(readme.includes('](docs/images/architecture.svg)'), 'README.md shows the architecture');
  });
});
