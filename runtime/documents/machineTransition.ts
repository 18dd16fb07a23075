import { type AnyStateMachine, createActor, type EventFromLogic, type SnapshotFrom } from 'xstate';

type ExecutableAction = { type: string };

/**
 * xstate's pure `transition(machine, snapshot, event)`, with the actor scope built once per machine
 * instead of once per call: xstate builds a throwaway actor for each call, which computes the
 * machine's initial snapshot, and that was a fifth of send()'s CPU. The scope is inert as xstate's
 * is: actions are collected, never run, and nothing is deferred, emitted or spawned (the document
 * machine invokes no actors, which is what makes one shared scope safe).
 * test/unit/runtime/machineTransition.test.ts checks it against xstate's `transition()`.
 */
export function createMachineTransition<Machine extends AnyStateMachine>(machine: Machine) {
  const self = createActor(machine);
  let collected: ExecutableAction[] = [];
  const scope = {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    defer: () => {},
    emit: () => {},
    logger: () => {},
    stopChild: () => {},
    actionExecutor: (action: ExecutableAction) => {
      collected.push(action);
    },
  };
  return (
    snapshot: SnapshotFrom<Machine>,
    event: EventFromLogic<Machine>,
  ): [SnapshotFrom<Machine>, ExecutableAction[]] => {
    collected = [];
    const next = machine.transition(snapshot, event, scope as never) as SnapshotFrom<Machine>;
    return [next, collected];
  };
}
