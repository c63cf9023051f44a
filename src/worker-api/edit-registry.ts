/**
 * The weight edits in force on the loaded model (src/analysis/edits.ts): the engine keeps every
 * edit's handle here, lists them in `ModelInfo.edits`, reverts one on request and all of them,
 * last first, before the model is unloaded. While any edit is active the model is not the one
 * its files describe, so `ModelInfo.key` changes and nothing computed then may be cached.
 */
import type { EditHandle } from '../analysis/edits';
import type { Neuron } from '../analysis/selection';

/** An applied edit, as the UI lists it. */
export interface ActiveEdit {
  /** Unique within the worker's life: the key of an edited model names its edits by it. */
  id: string;
  /** What was edited, for people: the neuron set's name. */
  label: string;
  factId: string;
  kind: 'erase' | 'update';
  neurons: Neuron[];
}

export class EditRegistry {
  private readonly active: { edit: ActiveEdit; handle: EditHandle }[] = [];

  constructor(private readonly newId: () => string) {}

  /** Oldest first. */
  list(): ActiveEdit[] {
    return this.active.map((a) => a.edit);
  }

  add(handle: EditHandle, about: Omit<ActiveEdit, 'id' | 'neurons'>): ActiveEdit {
    const edit: ActiveEdit = { ...about, id: this.newId(), neurons: handle.neurons };
    this.active.push({ edit, handle });
    return edit;
  }

  /**
   * Reverts one edit. An edit whose layers a later edit also changed cannot go first: the
   * handle refuses, and the message says which to revert first.
   */
  async revert(id: string): Promise<void> {
    const i = this.active.findIndex((a) => a.edit.id === id);
    if (i < 0) throw new RangeError(`no active weight edit ${id} (it was reverted already)`);
    await this.active[i].handle.revert();
    this.active.splice(i, 1);
  }

  /** Reverts every edit, newest first, so that edits of the same layer undo in order. */
  async revertAll(): Promise<void> {
    while (this.active.length) {
      const last = this.active[this.active.length - 1];
      await last.handle.revert();
      this.active.pop();
    }
  }
}

/** The key of a model with these edits applied: the unedited key when there are none. */
export function editedKey(key: string, edits: readonly ActiveEdit[]): string {
  return edits.length ? `${key}~edited:${edits.map((e) => e.id).join('+')}` : key;
}
