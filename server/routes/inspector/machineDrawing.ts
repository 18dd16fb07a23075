import { toDirectedGraph } from 'xstate/graph';
import {
  createDocumentMachine,
  type DocumentMachine,
  type DocumentStatus,
  MACHINE_ID,
  MACHINE_VERSION,
} from '../../../machines/document.machine.ts';
import { DOCUMENT_UPLOADED } from '../../../names/index.ts';

/**
 * The document machine drawn from its own definition: its states and transitions are read from
 * the machine with xstate/graph, written as Graphviz DOT and laid out by Graphviz compiled to
 * WebAssembly (@viz-js/viz), in the process, offline. There is no drawing kept anywhere else to
 * drift from the machine.
 *
 * Every state and every transition gets an `id` in the SVG, which the inspector page addresses to
 * write counts and paths on it: `state.<status>` and `transition.<from>.<EVENT>.<to>`, `from` being
 * `initial` for the upload, which creates a document in the machine's initial state. Transitions
 * that differ only by their guard (OCR_FAILED to needs_review, twice) are one edge: the event log
 * records where a document went, not which guard took it there. The second line of each label is
 * a placeholder (`?`) that the page replaces with a count; a transition's label has a third, which
 * the page hides: it keeps room in the layout for the times a drawn path took the transition.
 */

export type DrawnState = { status: DocumentStatus; id: string; initial: boolean; final: boolean };
export type DrawnTransition = { id: string; from: DocumentStatus | null; event: string; to: DocumentStatus };
export type MachineShape = {
  machine: { id: string; version: number };
  states: DrawnState[];
  transitions: DrawnTransition[];
};

export const stateElementId = (status: string) => `state.${status}`;
export const transitionElementId = (from: string | null, event: string, to: string) =>
  `transition.${from ?? 'initial'}.${event}.${to}`;

/** What the count placeholders read until the page has counts. */
export const COUNT_PLACEHOLDER = '?';
/** As wide as a step of a drawn path (`#7 10:31:05.123`): the room the layout leaves for one. */
export const PATH_SLOT = '#0 00:00:00.000';

/** The states and transitions of `machine`, in the order it declares them. */
export function machineShape(machine: DocumentMachine = createDocumentMachine()): MachineShape {
  const graph = toDirectedGraph(machine);
  const initial = machine.root.initial.target[0]?.key as DocumentStatus | undefined;
  if (!initial) throw new Error('The document machine has no initial state');
  const states = graph.children.map((node): DrawnState => {
    const status = node.stateNode.key as DocumentStatus;
    return {
      status,
      id: stateElementId(status),
      initial: status === initial,
      final: node.stateNode.type === 'final',
    };
  });
  const transitions = new Map<string, DrawnTransition>();
  const upload = transitionElementId(null, DOCUMENT_UPLOADED, initial);
  transitions.set(upload, { id: upload, from: null, event: DOCUMENT_UPLOADED, to: initial });
  for (const node of graph.children)
    for (const edge of node.edges) {
      const from = edge.source.key as DocumentStatus;
      const to = edge.target.key as DocumentStatus;
      const event = edge.transition.eventType;
      const id = transitionElementId(from, event, to);
      if (!transitions.has(id)) transitions.set(id, { id, from, event, to });
    }
  return { machine: { id: MACHINE_ID, version: MACHINE_VERSION }, states, transitions: [...transitions.values()] };
}

const quoted = (text: string) => `"${text.replace(/["\\]/g, '\\$&')}"`;

/** The DOT text of the machine: left to right, final states with a double border. */
export function machineDot(shape: MachineShape): string {
  const font = 'Helvetica,Arial,sans-serif';
  const lines = [
    `digraph ${quoted(shape.machine.id)} {`,
    `  graph [id="machine", rankdir=LR, nodesep=0.5, ranksep=0.9, pad=0.2, fontname=${quoted(font)}];`,
    `  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#475569", fontname=${quoted(font)}, fontsize=13, margin="0.2,0.08"];`,
    `  edge [color="#64748b", fontname=${quoted(font)}, fontsize=10, fontcolor="#334155"];`,
    `  initial [id="state.initial", shape=point, width=0.18, label=""];`,
  ];
  for (const state of shape.states)
    lines.push(
      `  ${quoted(state.status)} [id=${quoted(state.id)}, class="state${state.final ? ' final' : ''}", ` +
        `label=${quoted(`${state.status}\n${COUNT_PLACEHOLDER}`)}${state.final ? ', peripheries=2' : ''}];`,
    );
  for (const transition of shape.transitions)
    lines.push(
      `  ${quoted(transition.from ?? 'initial')} -> ${quoted(transition.to)} [id=${quoted(transition.id)}, ` +
        `class="transition", label=${quoted(`${transition.event}\n${COUNT_PLACEHOLDER}\n${PATH_SLOT}`)}];`,
    );
  lines.push('}');
  return lines.join('\n');
}

/** The SVG of `dot`, without the XML prolog and doctype, so it can be placed in a page as it is. */
export async function renderSvg(dot: string): Promise<string> {
  // Imported here, not at the top: the WebAssembly module is large, and only this drawing needs it.
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const svg = viz.renderString(dot, { format: 'svg', engine: 'dot' });
  return svg.slice(svg.indexOf('<svg'));
}

/** The machine's shape and its drawing, made once per process: the machine does not change while it runs. */
let drawing: Promise<MachineShape & { svg: string }> | undefined;
export function machineDrawing(): Promise<MachineShape & { svg: string }> {
  if (!drawing) {
    const shape = machineShape();
    const made = renderSvg(machineDot(shape)).then((svg) => ({ ...shape, svg }));
    // A failure is not kept: the next request tries again.
    made.catch(() => {
      if (drawing === made) drawing = undefined;
    });
    drawing = made;
  }
  return drawing;
}
