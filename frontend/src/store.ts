// The answer being written, with undo/redo. Typing in one box is one undo step, not one per key.
import type { Answer } from "./types";
import { clone } from "./util";

export class AnswerStore {
  private past: Answer[] = [];
  private future: Answer[] = [];
  private lastKey: string | null = null;
  private lastAt = 0;
  private listeners: ((answer: Answer, whole: boolean) => void)[] = [];

  constructor(public value: Answer) {}

  listen(listener: (answer: Answer, whole: boolean) => void): void {
    this.listeners.push(listener);
  }

  set(name: string, fieldValue: unknown, coalesce?: string): void {
    const now = Date.now();
    const merge = coalesce !== undefined && coalesce === this.lastKey && now - this.lastAt < 1500;
    if (!merge) {
      this.past.push(clone(this.value));
      if (this.past.length > 200) this.past.shift();
    }
    this.future = [];
    this.lastKey = coalesce ?? null;
    this.lastAt = now;
    const next = { ...this.value };
    if (fieldValue === null || fieldValue === undefined) delete next[name];
    else next[name] = fieldValue;
    this.value = next;
    this.emit(false);
  }

  undo(): boolean {
    const previous = this.past.pop();
    if (!previous) return false;
    this.future.push(clone(this.value));
    this.value = previous;
    this.lastKey = null;
    this.emit(true);
    return true;
  }

  redo(): boolean {
    const next = this.future.pop();
    if (!next) return false;
    this.past.push(clone(this.value));
    this.value = next;
    this.lastKey = null;
    this.emit(true);
    return true;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  private emit(whole: boolean): void {
    for (const listener of this.listeners) listener(this.value, whole);
  }
}

const PREFIX = "dure:draft:";
const KEEP_MS = 14 * 24 * 3600 * 1000;

export const drafts = {
  load(key: string): Answer | null {
    try {
      const raw = localStorage.getItem(PREFIX + key);
      return raw ? (JSON.parse(raw).answer as Answer) : null;
    } catch {
      return null;
    }
  },
  save(key: string, answer: Answer): void {
    try {
      localStorage.setItem(PREFIX + key, JSON.stringify({ saved_at: Date.now(), answer }));
    } catch {
      // storage full or disabled: the answer is still on screen
    }
  },
  remove(key: string): void {
    localStorage.removeItem(PREFIX + key);
  },
  prune(): void {
    try {
      for (let i = localStorage.length - 1; i >= 0; i--) {
        const key = localStorage.key(i);
        if (!key?.startsWith(PREFIX)) continue;
        const saved = JSON.parse(localStorage.getItem(key) ?? "{}").saved_at ?? 0;
        if (Date.now() - saved > KEEP_MS) localStorage.removeItem(key);
      }
    } catch {
      // ignore
    }
  },
};
