// The review workspace: the submission read-only over its data; approve (a) or send back (r) with reasons,
// a comment and comments pinned to regions; on a re-review, what changed since the rejected version.
import { ItemView } from "./itemview";
import { Presence, Shell } from "./shell";
import type { Answer, AssistFlag, HistoryEntry, OutputField, RegionComment, Review } from "./types";
import { faqLink, faqPicker, isFaqReason } from "./faq";
import { icon } from "./icons";
import { ApiError, api, deepEqual, getConfig, h, isTyping, t } from "./util";

interface Loaded {
  review: Review;
  view: ItemView;
  pane: HTMLElement;
}

const HEARTBEAT_MS = 15_000;

export function reasonText(reason: string): string {
  const key = `reason_${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

function flagText(flag: AssistFlag): string {
  const n = (key: string): string => String(flag[key] ?? "");
  switch (flag.code) {
    case "disagrees_with_model":
      return t("flag_disagrees", { percent: `${Math.round(Number(flag.similarity ?? 0) * 100)}%`, backend: n("backend") });
    case "unusually_fast":
      return t("flag_fast", { seconds: n("seconds"), usual: n("usual_seconds") });
    case "unusual_class":
      return t("flag_class", { value: n("value"), percent: `${Math.round(Number(flag.usual_share ?? 0) * 100)}%` });
    case "duplicate_upload":
      return flag.same_worker ? t("flag_duplicate_own", { id: n("same_as_submission") }) : t("flag_duplicate", { id: n("same_as_submission") });
    default:
      return flag.code;
  }
}

function short(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "string") return value.length > 60 ? `“${value.slice(0, 57)}…”` : `“${value}”`;
  const text = JSON.stringify(value);
  return text.length > 80 ? text.slice(0, 77) + "…" : text;
}

/** What changed in each output between two versions, in words a reviewer reads at a glance. */
export function describeChanges(spec: OutputField[], before: Answer, after: Answer): HTMLElement[] {
  const rows: HTMLElement[] = [];
  for (const output of spec) {
    const a = before?.[output.name];
    const b = after?.[output.name];
    if (deepEqual(a, b)) continue;
    const title = output.label || output.name;
    if (Array.isArray(a) || Array.isArray(b)) {
      const left = (Array.isArray(a) ? a : []).map((x) => JSON.stringify(x));
      const right = (Array.isArray(b) ? b : []).map((x) => JSON.stringify(x));
      const added = right.filter((x) => !left.includes(x)).length;
      const removed = left.filter((x) => !right.includes(x)).length;
      rows.push(h("li", null, h("strong", null, title), " ", t("changes_list", { added, removed, before: left.length, after: right.length })));
    } else if (a && b && typeof a === "object" && typeof b === "object") {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !deepEqual((a as Answer)[k], (b as Answer)[k]));
      rows.push(h("li", null, h("strong", null, title), " ", keys.map((k) => h("span", { class: "change" }, `${k}: `, h("del", null, short((a as Answer)[k])), " → ", h("ins", null, short((b as Answer)[k]))))));
    } else {
      rows.push(h("li", null, h("strong", null, title), " ", h("del", null, short(a)), " → ", h("ins", null, short(b))));
    }
  }
  return rows;
}

export class ReviewApp {
  private shell: Shell;
  private current: Loaded | null = null;
  private next: Loaded | null = null;
  private presence = new Presence();
  private deciding = false;
  private done = 0;
  private counter = h("span", { class: "counter" });
  private stash = h("div", { class: "preload", hidden: true, "aria-hidden": "true" });
  private form!: HTMLElement;
  private reasons: HTMLInputElement[] = [];
  private other!: HTMLInputElement;
  private comment!: HTMLTextAreaElement;
  private faq: HTMLSelectElement | null = null;
  private pins: (RegionComment & { summary: string })[] = [];
  private pinList = h("ul", { class: "pins" });
  private rejectOpen = false;

  constructor(mount: HTMLElement) {
    const config = getConfig();
    this.shell = new Shell(mount, config.project.name);
    this.shell.actions.append(
      this.shell.button(t("guideline"), "g", () => this.shell.toggleGuide(), "ghost"),
      this.shell.button(t("shortcuts_short"), "?", () => this.shell.showShortcuts(), "ghost"),
      this.shell.button(t("skip"), null, () => void this.skip(), "ghost"),
    );
    this.shell.status.append(this.counter);
    this.shell.root.appendChild(this.stash);
    this.shell.root.classList.add("reviewing");
    this.shell.setShortcuts(() => [
      ["a", t("approve")],
      ["r", t("reject")],
      ["1–9", t("key_reason")],
      ["Ctrl+Enter", t("send_back")],
      ["g", t("guideline")],
      ["?", t("shortcuts")],
    ]);
    window.addEventListener("keydown", (e) => this.onKey(e), true);
    window.setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.counter.textContent = t("reviewed_this_session", { n: 0 });
  }

  async start(): Promise<void> {
    this.shell.state("⏳", t("loading"), "");
    const loaded = await this.fetchNext();
    if (loaded) {
      this.show(loaded);
      void this.preload();
    }
  }

  private async fetchNext(forPreload = false): Promise<Loaded | null> {
    try {
      const body = await api<{ review: Review }>("POST", `/projects/${getConfig().project.id}/reviews/next`);
      if (!body) {
        if (!forPreload) this.empty();
        return null;
      }
      // the server keeps one review per reviewer; asking again gives the current one back
      if (forPreload && body.review.id === this.current?.review.id) return null;
      return this.build(body.review);
    } catch (error) {
      if (!forPreload) this.failed(error);
      return null;
    }
  }

  private build(review: Review): Loaded {
    const config = getConfig();
    const view = new ItemView({
      spec: config.project.spec,
      item: review.item,
      readOnly: true,
      value: review.submission.answer ?? {},
      comments: [],
      assignmentId: null,
      onPin: (output, index, summary) => this.pin(output, index, summary),
    });
    const pane = h("div", { class: "item-pane" }, this.assistPanel(review), this.historyPanel(review), h("div", { class: "item-grid" }, view.data, h("div", { class: "item-side" }, view.answers)));
    this.stash.appendChild(pane);
    return { review, view, pane };
  }

  /** Why assistance put this submission first: disagreement with the model, the worker's own history,
   * a duplicate upload. Nothing is shown when nothing was flagged. */
  private assistPanel(review: Review): HTMLElement | null {
    const assist = review.assist;
    if (!assist || !assist.flags.length) return null;
    return h(
      "section",
      { class: "assist-flags", role: "note", "data-testid": "assist-flags" },
      h("h2", null, icon("alert"), " ", t("flag_title", { n: Math.round(assist.score * 100) })),
      h("ul", null, assist.flags.map((flag) => h("li", null, flagText(flag)))),
    );
  }

  private historyPanel(review: Review): HTMLElement | null {
    const rejected = [...review.history].reverse().find((entry: HistoryEntry) => entry.reviews.some((r) => r.decision === "reject"));
    if (!rejected) return null;
    const spec = getConfig().project.spec.outputs;
    const decision = rejected.reviews.find((r) => r.decision === "reject");
    const changes = describeChanges(spec, rejected.answer, review.submission.answer);
    return h(
      "section",
      { class: "rework rereview" },
      h("h2", null, icon("repeat"), " ", t("rereview_title", { version: review.submission.version, previous: rejected.version })),
      decision
        ? h("div", { class: "previous-decision" },
            h("span", { class: "muted" }, t("previous_reasons")), " ",
            decision.reasons.map((r) => h("span", { class: "tag" }, isFaqReason(r) ? faqLink(r) : reasonText(r))),
            decision.comment ? h("blockquote", null, decision.comment) : null,
            decision.region_comments.length ? h("ul", { class: "region-comments" }, decision.region_comments.map((c) => h("li", null, h("span", { class: "tag" }, `${c.output ?? ""}${typeof c.index === "number" ? ` #${c.index + 1}` : ""}`), " ", c.comment))) : null)
        : null,
      h("h3", null, t("what_changed")),
      changes.length ? h("ul", { class: "changes" }, changes) : h("p", { class: "muted" }, t("nothing_changed")),
    );
  }

  private decisionPanel(): HTMLElement {
    const config = getConfig();
    this.reasons = config.review_reasons.map((reason) => h("input", { type: "checkbox", value: reason }));
    this.other = h("input", { type: "text", class: "other-reason", placeholder: t("other_reason"), "aria-label": t("other_reason") });
    this.comment = h("textarea", { rows: 3, placeholder: t("comment_placeholder"), "aria-label": t("comment") });
    this.faq = faqPicker();
    this.pins = [];
    this.pinList = h("ul", { class: "pins" });
    this.form = h(
      "div",
      { class: "reject-form", hidden: true },
      h("h3", null, t("reasons")),
      h("div", { class: "reasons-pick" }, this.reasons.map((input, i) => h("label", { class: "choice" }, input, h("span", { class: "choice-label" }, reasonText(input.value)), i < 9 ? h("kbd", null, String(i + 1)) : null))),
      this.other,
      this.faq ? h("label", { class: "sub" }, t("faq_pick"), this.faq) : null,
      h("label", { class: "sub" }, t("comment"), this.comment),
      h("h3", null, t("region_comments")),
      h("p", { class: "field-help" }, t("pin_help")),
      this.pinList,
      h("div", { class: "form-error", role: "alert" }),
      h("div", { class: "decide-row" }, h("button", { type: "button", class: "danger-solid", onclick: () => void this.reject() }, t("send_back"), h("kbd", null, "Ctrl+Enter")), h("button", { type: "button", class: "ghost", onclick: () => this.closeReject() }, t("cancel"))),
    );
    this.renderPins();
    return h(
      "section",
      { class: "decision" },
      h("h2", null, t("decision")),
      h("div", { class: "decide-row" },
        h("button", { type: "button", class: "approve", onclick: () => void this.approve() }, "✓ ", t("approve"), h("kbd", null, "a")),
        h("button", { type: "button", class: "reject", onclick: () => this.openReject() }, "↩ ", t("reject"), h("kbd", null, "r"))),
      this.form,
    );
  }

  private show(loaded: Loaded): void {
    const previous = this.current;
    this.current = loaded;
    this.rejectOpen = false;
    this.shell.root.classList.remove("no-item");
    this.shell.main.replaceChildren(loaded.pane);
    const s = loaded.review.submission;
    this.shell.side.replaceChildren(
      h("div", { class: "submission-meta" },
        loaded.review.stage === 2 ? h("div", { class: "stage-badge", "data-testid": "second-review" }, icon("repeat"), " ", t("second_review_badge")) : null,
        h("div", null, h("span", { class: "muted" }, t("version")), " ", h("strong", null, `v${s.version}`)),
        h("div", null, h("span", { class: "muted" }, t("worker")), " ", h("code", null, s.worker ?? "—")),
        h("div", null, h("span", { class: "muted" }, t("active_time")), " ", h("strong", null, `${Math.round(s.active_seconds)} s`))),
      this.decisionPanel(),
    );
    this.shell.root.classList.add("has-side");
    if (previous) {
      previous.view.destroy();
      previous.pane.remove();
    }
    window.scrollTo({ top: 0 });
  }

  private pin(output: OutputField, index: number, summary: string): void {
    if (!this.current) return;
    this.openReject();
    const existing = this.pins.find((p) => p.output === output.name && p.index === index);
    if (!existing) this.pins.push({ output: output.name, index, comment: "", summary: `${output.label || output.name} ${summary}` });
    this.renderPins();
    const inputs = this.pinList.querySelectorAll<HTMLInputElement>("input");
    const at = this.pins.findIndex((p) => p.output === output.name && p.index === index);
    inputs[at]?.focus();
  }

  private renderPins(): void {
    this.pinList.replaceChildren(
      ...this.pins.map((pin, i) =>
        h("li", null,
          h("span", { class: "tag" }, pin.summary),
          h("input", { type: "text", value: pin.comment, placeholder: t("pin_placeholder"), "aria-label": t("comment_on", { what: pin.summary }), oninput: (e: Event) => {
            pin.comment = (e.target as HTMLInputElement).value;
            this.current?.view.setComments(this.pins.filter((p) => p.comment));
          } }),
          h("button", { type: "button", class: "icon", "aria-label": t("delete"), onclick: () => { this.pins.splice(i, 1); this.renderPins(); this.current?.view.setComments(this.pins.filter((p) => p.comment)); } }, "✕")),
      ),
    );
    if (!this.pins.length) this.pinList.appendChild(h("li", { class: "empty" }, t("no_pins")));
  }

  private openReject(): void {
    if (!this.form) return;
    this.rejectOpen = true;
    this.form.hidden = false;
    this.form.scrollIntoView({ block: "nearest" });
  }

  private closeReject(): void {
    this.rejectOpen = false;
    this.form.hidden = true;
  }

  private async approve(): Promise<void> {
    await this.decide({ decision: "approve" });
  }

  private async reject(): Promise<void> {
    const reasons = this.reasons.filter((r) => r.checked).map((r) => r.value);
    if (this.other.value.trim()) reasons.push(this.other.value.trim());
    if (this.faq?.value) reasons.push(this.faq.value);
    const comment = this.comment.value.trim();
    const region_comments = this.pins.filter((p) => p.comment.trim()).map(({ output, index, comment: c }) => ({ output, index, comment: c.trim() }));
    const error = this.form.querySelector(".form-error") as HTMLElement;
    if (!reasons.length && !comment && !region_comments.length) {
      error.textContent = t("reason_needed");
      return;
    }
    error.textContent = "";
    await this.decide({ decision: "reject", reasons, comment, region_comments });
  }

  private async decide(body: Record<string, unknown>): Promise<void> {
    const current = this.current;
    if (!current || this.deciding) return;
    this.deciding = true;
    const started = performance.now();
    try {
      await api("POST", `/reviews/${current.review.id}/decision`, body);
    } catch (error) {
      this.deciding = false;
      if (error instanceof ApiError && error.status === 409) {
        this.shell.toast(error.message, "error", 6000);
        await this.advance(started);
      } else {
        this.shell.toast(error instanceof Error ? error.message : String(error), "error", 8000);
      }
      return;
    }
    this.done += 1;
    this.counter.textContent = t("reviewed_this_session", { n: this.done });
    this.shell.toast(body.decision === "approve" ? t("approved") : t("sent_back"), "ok", 1500);
    await this.advance(started);
    this.deciding = false;
  }

  private async advance(started: number): Promise<void> {
    const upcoming = this.next;
    this.next = null;
    const loaded = upcoming ?? (await this.fetchNext());
    if (loaded) {
      this.show(loaded);
      requestAnimationFrame(() => {
        const w = window as unknown as { dureTimings?: number[] };
        (w.dureTimings ??= []).push(performance.now() - started);
      });
      void this.preload();
    } else this.current = null;
  }

  private async preload(): Promise<void> {
    if (this.next) return;
    const loaded = await this.fetchNext(true);
    if (loaded && loaded.review.id !== this.current?.review.id) this.next = loaded;
    else loaded?.pane.remove();
  }

  private async skip(): Promise<void> {
    const current = this.current;
    if (!current) return;
    try {
      await api("POST", `/reviews/${current.review.id}/release`);
    } catch {
      // already gone: move on all the same
    }
    await this.advance(performance.now());
  }

  private async beat(): Promise<void> {
    const current = this.current;
    if (!current) return;
    try {
      await api("POST", `/reviews/${current.review.id}/heartbeat`, { active: this.presence.active });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) this.shell.toast(error.message, "error", 8000);
    }
  }

  private empty(): void {
    this.shell.root.classList.remove("has-side");
    this.shell.state("✅", t("review_empty_title"), this.done ? t("review_empty_done", { n: this.done }) : t("review_empty_body"), [
      h("button", { type: "button", class: "primary", onclick: () => void this.start() }, t("check_again")),
      h("a", { class: "button-like", href: getConfig().home_url }, t("back_home")),
    ]);
  }

  private failed(error: unknown): void {
    const e = error instanceof ApiError ? error : new ApiError(0, "unknown", String(error));
    this.shell.state("⚠️", t("error_title"), e.message, [
      h("button", { type: "button", class: "primary", onclick: () => void this.start() }, t("try_again")),
      h("a", { class: "button-like", href: getConfig().home_url }, t("back_home")),
    ]);
  }

  private onKey(event: KeyboardEvent): void {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key === "Enter" && this.rejectOpen) {
      event.preventDefault();
      void this.reject();
      return;
    }
    if (this.shell.globalKey(event)) {
      event.preventDefault();
      return;
    }
    if (isTyping(event.target) || this.shell.dialog.open || mod || event.altKey || !this.current) return;
    if (event.key === "a") {
      event.preventDefault();
      void this.approve();
    } else if (event.key === "r") {
      event.preventDefault();
      this.openReject();
    } else if (event.key === "Escape" && this.rejectOpen) {
      this.closeReject();
    } else if (this.rejectOpen && /^[1-9]$/.test(event.key)) {
      const box = this.reasons[Number(event.key) - 1];
      if (box) {
        box.checked = !box.checked;
        event.preventDefault();
      }
    } else if (this.current.view.key(event)) {
      event.preventDefault();
    }
  }
}
