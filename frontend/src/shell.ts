// The frame both workspaces share: top bar, guideline panel, shortcuts dialog, toasts, full-page states.
import { icon } from "./icons";
import { getConfig, h, isTyping, t } from "./util";

export class Shell {
  readonly root: HTMLElement;
  readonly bar: HTMLElement;
  readonly actions: HTMLElement;
  readonly status: HTMLElement;
  readonly main: HTMLElement;
  readonly side: HTMLElement;
  readonly guide: HTMLElement;
  readonly toasts: HTMLElement;
  readonly dialog: HTMLDialogElement;
  private shortcutRows: () => [string, string][] = () => [];

  constructor(mount: HTMLElement, title: string) {
    const config = getConfig();
    this.status = h("div", { class: "ws-status" });
    this.actions = h("div", { class: "ws-actions" });
    this.bar = h(
      "header",
      { class: "ws-bar" },
      h("a", { class: "ws-back", href: config.home_url, title: t("back_home") }, "←"),
      h("div", { class: "ws-title" }, h("span", { class: "ws-mode" }, config.mode === "review" ? t("mode_review") : t("mode_work")), h("strong", null, title)),
      this.status,
      this.actions,
    );
    this.main = h("div", { class: "ws-main" });
    this.side = h("aside", { class: "ws-side" });
    this.guide = h(
      "aside",
      { class: "ws-guide", hidden: true, "aria-label": t("guideline") },
      h("div", { class: "guide-head" }, h("h2", null, t("guideline")), h("button", { type: "button", class: "icon", "aria-label": t("close"), onclick: () => this.toggleGuide(false) }, "✕")),
      h("div", { class: "guide-body markdown", html: config.project.guideline_html || `<p class="muted">${t("no_guideline")}</p>` }),
    );
    this.toasts = h("div", { class: "ws-toasts", "aria-live": "polite" });
    this.dialog = h("dialog", { class: "ws-dialog" });
    this.root = h("div", { class: "ws" }, this.bar, h("div", { class: "ws-body" }, this.main, this.side, this.guide), this.toasts, this.dialog);
    mount.replaceChildren(this.root);
  }

  button(text: string, key: string | null, onClick: () => void, cls = ""): HTMLButtonElement {
    return h("button", { type: "button", class: cls, onclick: onClick, title: key ? `${text} (${key})` : text }, text, key ? h("kbd", null, key) : null);
  }

  toggleGuide(open?: boolean): void {
    const show = open ?? this.guide.hidden === true;
    this.guide.hidden = !show;
    this.root.classList.toggle("guide-open", show);
  }

  toast(text: string, kind: "info" | "error" | "ok" = "info", ms = 4000): void {
    const toast = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
    this.toasts.appendChild(toast);
    window.setTimeout(() => toast.remove(), ms);
  }

  setShortcuts(rows: () => [string, string][]): void {
    this.shortcutRows = rows;
  }

  showShortcuts(): void {
    this.dialog.replaceChildren(
      h("h2", null, t("shortcuts")),
      h("table", { class: "keys" }, this.shortcutRows().map(([key, what]) => h("tr", null, h("th", null, h("kbd", null, key)), h("td", null, what)))),
      h("form", { method: "dialog" }, h("button", { class: "primary" }, t("close"))),
    );
    this.dialog.showModal();
  }

  /** A whole-page state instead of an item: finished, nothing left, an error. */
  state(symbol: string, title: string, body: string, actions: HTMLElement[] = []): void {
    this.main.replaceChildren(h("div", { class: "ws-state" }, h("div", { class: "state-icon" }, iconFor(symbol)), h("h2", null, title), h("p", null, body), h("div", { class: "state-actions" }, actions)));
    this.side.replaceChildren();
    this.root.classList.add("no-item");
  }

  /** Keys that work everywhere: g guideline, ? shortcuts. Returns true when used. */
  globalKey(event: KeyboardEvent): boolean {
    if (this.dialog.open) return false;
    if (isTyping(event.target)) return false;
    if (event.key === "g" && !event.ctrlKey && !event.metaKey) {
      this.toggleGuide();
      return true;
    }
    if (event.key === "?") {
      this.showShortcuts();
      return true;
    }
    return false;
  }
}

/** Tracks whether the person is here and acting, for honest heartbeats. */
export class Presence {
  private last = performance.now();
  constructor() {
    for (const type of ["pointerdown", "keydown", "wheel", "input", "pointermove"]) {
      window.addEventListener(type, () => (this.last = performance.now()), { passive: true, capture: true });
    }
  }
  get active(): boolean {
    return document.visibilityState === "visible" && performance.now() - this.last < 60_000;
  }
}

const STATE_ICONS: Record<string, string> = { "⏳": "clock", "🎉": "party", "✅": "check", "⚠️": "alert", "💤": "pause" };

function iconFor(symbol: string): HTMLElement {
  return icon(STATE_ICONS[symbol] ?? "check", `state-${STATE_ICONS[symbol] ?? "check"}`);
}
