// The labelling workspace: one item at a time, the next one already loaded, drafts kept in this browser.
import { ItemView, initialAnswer, missingRequired } from "./itemview";
import { Presence, Shell } from "./shell";
import { AnswerStore, drafts } from "./store";
import type { Answer, Assignment, FieldError, OutputField, Spec } from "./types";
import { faqLink, isFaqReason } from "./faq";
import { icon } from "./icons";
import { ApiError, api, clone, getConfig, h, isTyping, t } from "./util";

interface Loaded {
  assignment: Assignment;
  view: ItemView;
  store: AnswerStore;
  pane: HTMLElement;
  restored: boolean;
}

const HEARTBEAT_MS = 15_000;

/** The empty answer with the suggestion's outputs filled in (only outputs the interface has). */
export function suggestedAnswer(spec: Spec, suggestion: Answer): Answer {
  const answer = initialAnswer(spec);
  for (const output of spec.outputs) {
    if (suggestion[output.name] !== undefined && suggestion[output.name] !== null) answer[output.name] = clone(suggestion[output.name]);
  }
  return answer;
}

function reasonText(reason: string): string {
  const key = `reason_${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

export class WorkApp {
  private shell: Shell;
  private current: Loaded | null = null;
  private next: Loaded | null = null;
  private preloading: Promise<void> | null = null;
  private presence = new Presence();
  private submitting = false;
  private done = 0;
  private stopped = false;
  private undoButton: HTMLButtonElement;
  private redoButton: HTMLButtonElement;
  private submitButton: HTMLButtonElement;
  private counter = h("span", { class: "counter" });
  private clock = h("span", { class: "lease" });
  private saved = h("span", { class: "saved" });
  private stash: HTMLElement = h("div", { class: "preload", hidden: true, "aria-hidden": "true" });

  constructor(mount: HTMLElement) {
    const config = getConfig();
    this.shell = new Shell(mount, config.project.name);
    this.undoButton = this.shell.button(t("undo"), null, () => this.current?.store.undo(), "ghost");
    this.redoButton = this.shell.button(t("redo"), null, () => this.current?.store.redo(), "ghost");
    this.submitButton = this.shell.button(t("submit"), "Ctrl+Enter", () => void this.submit(), "primary submit");
    this.shell.actions.append(
      this.shell.button(t("guideline"), "g", () => this.shell.toggleGuide(), "ghost"),
      this.shell.button(t("shortcuts_short"), "?", () => this.shell.showShortcuts(), "ghost"),
      this.undoButton,
      this.redoButton,
      this.shell.button(t("skip"), null, () => void this.skip(), "ghost"),
      this.submitButton,
    );
    this.shell.status.append(this.counter, this.clock, this.saved);
    this.shell.root.appendChild(this.stash);
    this.shell.setShortcuts(() => [
      ["Ctrl+Enter", t("submit")],
      ["Ctrl+Z", t("undo")],
      ["Ctrl+Shift+Z", t("redo")],
      ["g", t("guideline")],
      ["?", t("shortcuts")],
      ["Alt+↓ / Alt+↑", t("key_next_field")],
      ...(this.current?.view.shortcuts() ?? []),
    ]);
    window.addEventListener("keydown", (e) => this.onKey(e), true);
    window.setInterval(() => void this.beat(), HEARTBEAT_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void this.beat();
    });
    drafts.prune();
    this.updateCounter();
  }

  async start(): Promise<void> {
    this.shell.state("⏳", t("loading"), "");
    const loaded = await this.fetchNext();
    if (!loaded) return;
    this.show(loaded);
    void this.preload();
  }

  private updateCounter(): void {
    this.counter.textContent = t("done_this_session", { n: this.done });
  }

  /** Asks the server for an item; null (with the page showing why) when there is none. */
  private async fetchNext(forPreload = false): Promise<Loaded | null> {
    const config = getConfig();
    try {
      const body = await api<{ assignment: Assignment }>("POST", `/projects/${config.project.id}/assignments/next`);
      if (!body) {
        if (!forPreload) this.empty();
        return null;
      }
      if (forPreload && body.assignment.id === this.current?.assignment.id) return null;
      return this.build(body.assignment);
    } catch (error) {
      if (forPreload) return null;
      this.failed(error);
      return null;
    }
  }

  private build(assignment: Assignment): Loaded {
    const config = getConfig();
    const key = String(assignment.id);
    const draft = drafts.load(key);
    const suggestion = !assignment.rework && assignment.suggestion ? assignment.suggestion : null;
    const base = assignment.rework?.previous_answer ?? (suggestion ? suggestedAnswer(config.project.spec, suggestion.answer) : initialAnswer(config.project.spec));
    const store = new AnswerStore(draft ?? base);
    const view = new ItemView({
      spec: config.project.spec,
      item: assignment.item,
      readOnly: false,
      value: store.value,
      comments: assignment.rework?.comments ?? [],
      assignmentId: assignment.id,
      onChange: (name, value, coalesce) => store.set(name, value, coalesce),
    });
    store.listen((answer) => {
      // every field redraws from the answer (a no-op where nothing changed), so undo and clicks agree
      view.set(answer);
      drafts.save(key, answer);
      this.saved.textContent = t("draft_saved");
      this.refreshButtons();
    });
    const pane = h("div", { class: "item-pane" }, this.reworkBanner(assignment), suggestion ? this.suggestionBanner(suggestion, store) : null, h("div", { class: "item-grid" }, view.data, h("div", { class: "item-side" }, view.answers)));
    this.stash.appendChild(pane);
    return { assignment, view, store, pane, restored: draft !== null };
  }

  private reworkBanner(assignment: Assignment): HTMLElement | null {
    const rework = assignment.rework;
    if (!rework) return null;
    const outputs = new Map<string, OutputField>(getConfig().project.spec.outputs.map((o) => [o.name, o]));
    return h(
      "section",
      { class: "rework", role: "note" },
      h("h2", null, icon("undo"), " ", t("rework_title", { n: rework.round })),
      rework.reasons.length ? h("ul", { class: "reasons" }, rework.reasons.map((r) => h("li", null, isFaqReason(r) ? faqLink(r, rework.faq) : reasonText(r)))) : null,
      rework.comment ? h("blockquote", null, rework.comment) : null,
      rework.comments.length
        ? h("ul", { class: "region-comments" }, rework.comments.map((c) => h("li", null, h("span", { class: "tag" }, `${outputs.get(c.output ?? "")?.label || c.output || ""}${typeof c.index === "number" ? ` #${c.index + 1}` : ""}`), " ", c.comment)))
        : null,
    );
  }

  /** The answer starts as the model's suggestion: say so, and let the worker keep it or start empty. */
  private suggestionBanner(suggestion: NonNullable<Assignment["suggestion"]>, store: AnswerStore): HTMLElement {
    const source = suggestion.backend === "import" ? t("suggestion_imported") : t("suggestion_model", { backend: suggestion.backend.toUpperCase() });
    const confidence = suggestion.confidence !== null ? h("span", { class: "muted" }, " ", t("suggestion_confidence", { n: `${Math.round(suggestion.confidence * 100)}%` })) : null;
    const banner: HTMLElement = h(
      "section",
      { class: "suggestion", role: "note", "data-testid": "suggestion" },
      h("div", null, h("strong", null, icon("check"), " ", t("suggestion_title")), " ", source, confidence),
      h("p", { class: "muted" }, t("suggestion_help")),
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "primary", "data-testid": "accept-suggestion", onclick: () => {
          banner.classList.add("accepted");
          banner.querySelector("p")!.textContent = t("suggestion_accepted");
        } }, t("suggestion_accept")),
        h("button", { type: "button", class: "ghost", onclick: () => {
          for (const output of getConfig().project.spec.outputs) {
            if (suggestion.answer[output.name] !== undefined) store.set(output.name, initialAnswer(getConfig().project.spec)[output.name]);
          }
          banner.remove();
        } }, t("suggestion_clear"))),
    );
    return banner;
  }

  private show(loaded: Loaded): void {
    const previous = this.current;
    this.current = loaded;
    this.shell.root.classList.remove("no-item");
    this.shell.main.replaceChildren(loaded.pane);
    this.shell.side.replaceChildren();
    this.saved.textContent = loaded.restored ? t("draft_restored") : "";
    this.clockTick();
    this.refreshButtons();
    if (previous) {
      previous.view.destroy();
      previous.pane.remove();
    }
    window.scrollTo({ top: 0 });
    loaded.view.data.dispatchEvent(new Event("shown"));
    void this.beat();
  }

  private refreshButtons(): void {
    this.undoButton.disabled = !this.current?.store.canUndo;
    this.redoButton.disabled = !this.current?.store.canRedo;
  }

  private clockTick(): void {
    if (!this.current) return;
    const expires = new Date(this.current.assignment.expires_at);
    this.clock.textContent = t("lease_until", { time: expires.toLocaleTimeString(getConfig().lang, { hour: "2-digit", minute: "2-digit" }) });
  }

  private async preload(): Promise<void> {
    if (this.next || this.preloading || this.stopped) return;
    this.preloading = (async () => {
      const loaded = await this.fetchNext(true);
      if (loaded && this.current && loaded.assignment.id !== this.current.assignment.id) this.next = loaded;
      else if (loaded) loaded.pane.remove();
    })();
    await this.preloading;
    this.preloading = null;
  }

  private async submit(): Promise<void> {
    const current = this.current;
    if (!current || this.submitting) return;
    const config = getConfig();
    const answer = current.store.value;
    const missing = missingRequired(config.project.spec, answer);
    if (missing.length) {
      current.view.showErrors(missing);
      this.shell.toast(t("fix_errors"), "error");
      return;
    }
    current.pane.querySelector(".check-problems")?.remove();
    this.submitting = true;
    this.submitButton.disabled = true;
    const started = performance.now();
    try {
      await api("POST", `/assignments/${current.assignment.id}/submit`, { answer });
    } catch (error) {
      this.submitting = false;
      this.submitButton.disabled = false;
      this.submitFailed(error, current);
      return;
    }
    drafts.remove(String(current.assignment.id));
    this.done += 1;
    this.updateCounter();
    if (this.preloading) await this.preloading;
    const upcoming = this.next;
    this.next = null;
    if (upcoming) {
      this.show(upcoming);
      this.measure(started);
    } else {
      this.shell.state("⏳", t("loading"), "");
      const loaded = await this.fetchNext();
      if (loaded) {
        this.show(loaded);
        this.measure(started);
      } else this.current = null;
    }
    this.submitting = false;
    this.submitButton.disabled = false;
    this.shell.toast(t("submitted"), "ok", 1500);
    void this.preload();
  }

  /** The time from pressing submit to the next item on screen, for docs/performance.md. */
  private measure(started: number): void {
    requestAnimationFrame(() => {
      const ms = performance.now() - started;
      const w = window as unknown as { dureTimings?: number[] };
      (w.dureTimings ??= []).push(ms);
    });
  }

  private submitFailed(error: unknown, current: Loaded): void {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 422) {
      const list = (error.details.errors as FieldError[] | undefined) ?? [];
      const unplaced = current.view.showErrors(list);
      if (error.code === "answer_checks_failed") this.showCheckProblems(current, list);
      this.shell.toast(error.message + (unplaced.length ? ` — ${unplaced.join("; ")}` : ""), "error", 8000);
    } else if (error.code === "lease_expired") {
      this.expired(current);
    } else if (error.code === "assignment_closed") {
      this.shell.toast(error.message, "error", 6000);
      void this.advance();
    } else {
      this.shell.toast(error.message, "error", 8000);
    }
  }

  /** The server's automatic checks refused the answer: list every problem above the item, next to the
   * marked fields, so the worker fixes them at once (nothing was saved; the lease is still theirs). */
  private showCheckProblems(current: Loaded, problems: FieldError[]): void {
    current.pane.querySelector(".check-problems")?.remove();
    if (!problems.length) return;
    const box = h("div", { class: "check-problems", role: "alert", "data-testid": "check-problems" },
      h("h2", null, icon("alert"), " ", t("checks_failed_title", { n: problems.length })),
      h("ul", null, ...problems.map((p) => h("li", null, h("code", null, p.path), " ", p.error))));
    current.pane.prepend(box);
    box.scrollIntoView({ block: "nearest" });
  }

  /** The lease ran out: say so, keep what was typed on screen and in the draft, offer the next item. */
  private expired(current: Loaded): void {
    drafts.save(String(current.assignment.id), current.store.value);
    this.shell.side.replaceChildren(
      h("div", { class: "expired", role: "alert" },
        h("h2", null, icon("clock"), " ", t("lease_expired_title")),
        h("p", null, t("lease_expired_body")),
        h("button", { type: "button", class: "primary", onclick: () => void this.advance() }, t("take_next"))),
    );
    this.shell.root.classList.add("has-side");
    this.submitButton.disabled = true;
  }

  private async advance(): Promise<void> {
    this.shell.root.classList.remove("has-side");
    this.submitButton.disabled = false;
    if (this.preloading) await this.preloading;
    let upcoming = this.next;
    this.next = null;
    if (upcoming) {
      // the preloaded lease may have run out together with this one: check before showing it
      try {
        await api("POST", `/assignments/${upcoming.assignment.id}/heartbeat`, { active: false });
      } catch {
        upcoming.pane.remove();
        upcoming = null;
      }
    }
    const loaded = upcoming ?? (await this.fetchNext());
    if (loaded) {
      this.show(loaded);
      void this.preload();
    }
  }

  private async skip(): Promise<void> {
    const current = this.current;
    if (!current) return;
    try {
      await api("POST", `/assignments/${current.assignment.id}/release`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) {
        this.shell.toast(error instanceof Error ? error.message : String(error), "error");
        return;
      }
    }
    drafts.remove(String(current.assignment.id));
    this.shell.toast(t("skipped"), "info", 1500);
    await this.advance();
  }

  private async beat(): Promise<void> {
    const current = this.current;
    if (!current || this.stopped) return;
    try {
      const body = await api<{ expires_at: string }>("POST", `/assignments/${current.assignment.id}/heartbeat`, { active: this.presence.active });
      if (body) {
        current.assignment.expires_at = body.expires_at;
        this.clockTick();
      }
    } catch (error) {
      if (error instanceof ApiError && error.code === "lease_expired" && this.current === current) this.expired(current);
    }
    // keep the preloaded lease alive too, without counting time on it
    const upcoming = this.next;
    if (upcoming && new Date(upcoming.assignment.expires_at).getTime() - Date.now() < 5 * 60_000) {
      try {
        const body = await api<{ expires_at: string }>("POST", `/assignments/${upcoming.assignment.id}/heartbeat`, { active: false });
        if (body) upcoming.assignment.expires_at = body.expires_at;
      } catch {
        if (this.next === upcoming) {
          this.next = null;
          upcoming.pane.remove();
        }
      }
    }
  }

  private empty(): void {
    this.stopped = false;
    this.shell.state("🎉", t("empty_title"), this.done ? t("empty_body_done", { n: this.done }) : t("empty_body"), [
      h("button", { type: "button", class: "primary", onclick: () => void this.start() }, t("check_again")),
      h("a", { class: "button-like", href: getConfig().home_url }, t("back_home")),
    ]);
  }

  private failed(error: unknown): void {
    const e = error instanceof ApiError ? error : new ApiError(0, "unknown", String(error));
    if (e.code === "budget_exhausted") {
      this.shell.state("💤", t("budget_title"), e.message, [h("a", { class: "button-like", href: getConfig().home_url }, t("back_home"))]);
    } else {
      this.shell.state("⚠️", t("error_title"), e.message, [
        h("button", { type: "button", class: "primary", onclick: () => void this.start() }, t("try_again")),
        h("a", { class: "button-like", href: getConfig().home_url }, t("back_home")),
      ]);
    }
  }

  private onKey(event: KeyboardEvent): void {
    const current = this.current;
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key.toLowerCase() === "z") {
      // ours, not Annotorious' own undo (which would fight with ours over the same shapes)
      if (isTyping(event.target) && !(event.target instanceof HTMLElement && event.target.closest(".item-answers, .item-data"))) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (event.shiftKey) current?.store.redo();
      else current?.store.undo();
      return;
    }
    if (mod && event.key.toLowerCase() === "y") {
      event.preventDefault();
      event.stopImmediatePropagation();
      current?.store.redo();
      return;
    }
    if (mod && event.key === "Enter") {
      event.preventDefault();
      void this.submit();
      return;
    }
    if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      current?.view.cycle(event.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (this.shell.globalKey(event)) {
      event.preventDefault();
      return;
    }
    if (isTyping(event.target) || this.shell.dialog.open) return;
    if (current?.view.key(event)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }
}
