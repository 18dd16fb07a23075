/**
 * `node scripts/machineDiagram.ts`: writes `docs/images/document-machine.svg`, the document machine
 * drawn from its own definition. It reuses the live map's reading of the machine
 * (`server/routes/inspector/machineDrawing.ts`: states and transitions through xstate/graph, laid out
 * by Graphviz in WebAssembly) with labels for a document instead of the map's counters: each
 * transition its event, each state its entry actions (the effects it writes to the outbox).
 * `--check` writes nothing and exits 1 when the file is stale; `test/unit/diagrams.test.ts` fails
 * when the committed file differs from a fresh drawing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createDocumentMachine } from '../machines/document.machine.ts';
import { type MachineShape, machineShape, renderSvg } from '../server/routes/inspector/machineDrawing.ts';

export const MACHINE_DIAGRAM = new URL('../docs/images/document-machine.svg', import.meta.url);

const quoted = (text: string) => `"${text.replace(/["\\]/g, '\\$&')}"`;

/** The entry actions of each state, by the names the machine gives them. */
function entryActions(): Map<string, string[]> {
  const machine = createDocumentMachine();
  const actions = new Map<string, string[]>();
  for (const [key, node] of Object.entries(machine.root.states))
    actions.set(
      key,
      node.entry.map((action) => (typeof action === 'string' ? action : String((action as { type?: unknown }).type))),
    );
  return actions;
}

/** The DOT text of the machine for the documentation: left to right, final states with a double border. */
export function documentationDot(shape: MachineShape, entries: Map<string, string[]> = entryActions()): string {
  const font = 'Helvetica,Arial,sans-serif';
  const lines = [
    `digraph ${quoted(shape.machine.id)} {`,
    `  graph [rankdir=LR, nodesep=0.45, ranksep=0.8, pad=0.2, fontname=${quoted(font)}, fontsize=11, labelloc=b, ` +
      `label=${quoted(`machine "${shape.machine.id}", MACHINE_VERSION ${shape.machine.version}: drawn from machines/document.machine.ts by scripts/machineDiagram.ts`)}];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#475569", fontname=${quoted(font)}, fontsize=13, margin="0.2,0.08"];`,
    `  edge [color="#64748b", fontname=${quoted(font)}, fontsize=10, fontcolor="#334155"];`,
    '  initial [shape=point, width=0.18, style=filled, fillcolor="#475569", label=""];',
  ];
  for (const state of shape.states) {
    const actions = entries.get(state.status) ?? [];
    const label = actions.length > 0 ? `${state.status}\nentry: ${actions.join(', ')}` : state.status;
    const fill = state.final ? ', fillcolor="#f1f5f9", peripheries=2' : '';
    lines.push(`  ${quoted(state.status)} [label=${quoted(label)}${fill}];`);
  }
  for (const transition of shape.transitions)
    lines.push(
      `  ${quoted(transition.from ?? 'initial')} -> ${quoted(transition.to)} [label=${quoted(transition.event)}];`,
    );
  lines.push('}');
  return lines.join('\n');
}

/** The committed file's content: a standalone SVG document. */
export async function machineDiagramSvg(): Promise<string> {
  const svg = await renderSvg(documentationDot(machineShape()));
  return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n${svg.trimEnd()}\n`;
}

if (import.meta.main) {
  const svg = await machineDiagramSvg();
  if (process.argv.includes('--check')) {
    if ((await readFile(MACHINE_DIAGRAM, 'utf8').catch(() => '')) !== svg) {
      console.error('docs/images/document-machine.svg is stale: run node scripts/machineDiagram.ts');
      process.exitCode = 1;
    }
  } else {
    await writeFile(MACHINE_DIAGRAM, svg);
    console.log('wrote docs/images/document-machine.svg');
  }
}
