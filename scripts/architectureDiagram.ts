/**
 * `node scripts/architectureDiagram.ts`: renders `docs/images/architecture.dot` (the processes,
 * queues, stores and external systems, written by hand) into `docs/images/architecture.svg` with
 * Graphviz in WebAssembly (@viz-js/viz, through the machine map's `renderSvg`), offline.
 * `--check` writes nothing and exits 1 when the SVG is stale; `test/unit/diagrams.test.ts` fails when
 * the committed SVG is not the rendering of the committed DOT.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { renderSvg } from '../server/routes/inspector/machineDrawing.ts';

export const ARCHITECTURE_DOT = new URL('../docs/images/architecture.dot', import.meta.url);
export const ARCHITECTURE_DIAGRAM = new URL('../docs/images/architecture.svg', import.meta.url);

/** The committed SVG's content for a DOT text: a standalone SVG document. */
export async function architectureDiagramSvg(dot?: string): Promise<string> {
  const svg = await renderSvg(dot ?? (await readFile(ARCHITECTURE_DOT, 'utf8')));
  return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n${svg.trimEnd()}\n`;
}

if (import.meta.main) {
  const svg = await architectureDiagramSvg();
  if (process.argv.includes('--check')) {
    if ((await readFile(ARCHITECTURE_DIAGRAM, 'utf8').catch(() => '')) !== svg) {
      console.error('docs/images/architecture.svg is stale: run node scripts/architectureDiagram.ts');
      process.exitCode = 1;
    }
  } else {
    await writeFile(ARCHITECTURE_DIAGRAM, svg);
    console.log('wrote docs/images/architecture.svg');
  }
}
