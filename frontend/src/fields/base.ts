import type { FieldError, ItemData, OutputField, RegionComment, Spec } from "../types";
import { icon } from "../icons";
import { h, outputLabel, t } from "../util";

export interface FieldContext {
  output: OutputField;
  spec: Spec;
  data: ItemData;
  readOnly: boolean;
  /** the reviewer's comments pinned to this output (rework) or the ones being written (review) */
  comments: RegionComment[];
  /** where the source input is drawn (an image, a text, a recording) when this output marks it up */
  stage: HTMLElement | null;
  assignmentId: number | null;
  onChange(value: unknown, coalesce?: string): void;
  /** review: pin a comment to entry ``index`` of this output */
  onPin?: (index: number, summary: string) => void;
  /** makes this field the one that number keys and Delete act on */
  activate(): void;
}

export interface FieldView {
  panel: HTMLElement;
  set(value: unknown): void;
  /** a key pressed while this field is active; true when the field used it */
  key?(event: KeyboardEvent): boolean;
  showErrors?(errors: FieldError[]): void;
  setComments?(comments: RegionComment[]): void;
  destroy?(): void;
  /** hint shown in the shortcuts dialog */
  shortcuts?: [string, string][];
}

/** The labelled box every output sits in, with room for its error message. */
export function panel(ctx: FieldContext, ...body: (HTMLElement | null)[]): { root: HTMLElement; error: HTMLElement } {
  const error = h("div", { class: "field-error", role: "alert", "data-error-for": ctx.output.name });
  const description = ctx.output.description ? h("p", { class: "field-help" }, ctx.output.description) : null;
  const required = ctx.output.required !== false ? h("span", { class: "req", title: t("required") }, "*") : null;
  const root = h(
    "section",
    { class: `field field-${ctx.output.type}`, "data-field": ctx.output.name, onpointerdown: () => ctx.activate(), onfocusin: () => ctx.activate() },
    h("h3", { class: "field-title" }, outputLabel(ctx.output), required),
    description,
    ...body,
    error,
  );
  return { root, error };
}

export function showFieldErrors(error: HTMLElement, name: string, errors: FieldError[]): void {
  error.replaceChildren();
  for (const e of errors) {
    const sub = e.path.slice(name.length).replace(/^\./, "");
    error.appendChild(h("div", null, sub ? h("code", null, sub) : null, sub ? " " : null, e.error));
  }
  error.closest(".field")?.classList.toggle("has-error", errors.length > 0);
}

/** Comments that a reviewer pinned to entry ``index`` of this output. */
export function commentsAt(comments: RegionComment[], index: number): RegionComment[] {
  return comments.filter((c) => c.index === index);
}

export function commentNotes(comments: RegionComment[], index: number): HTMLElement | null {
  const mine = commentsAt(comments, index);
  if (!mine.length) return null;
  return h("div", { class: "pin-notes" }, mine.map((c) => h("div", { class: "pin-note" }, icon("comment"), " ", c.comment)));
}

export function pinButton(ctx: FieldContext, index: number, summary: string): HTMLElement | null {
  if (!ctx.onPin) return null;
  return h("button", { type: "button", class: "pin", title: t("pin_comment"), "aria-label": t("pin_comment"), onclick: (e: Event) => { e.stopPropagation(); ctx.onPin?.(index, summary); } }, icon("comment"));
}

/** Number key n (1-9, 0 for the tenth) → index, or an option's own hotkey. */
export function hotkeyIndex(event: KeyboardEvent, options: { hotkey?: string | null }[]): number {
  if (event.ctrlKey || event.metaKey || event.altKey) return -1;
  const own = options.findIndex((o) => o.hotkey && o.hotkey === event.key);
  if (own >= 0) return own;
  if (options.some((o) => o.hotkey)) return -1;
  if (/^[1-9]$/.test(event.key)) return Number(event.key) - 1;
  if (event.key === "0") return 9;
  return -1;
}

export function hotkeyOf(options: { hotkey?: string | null }[], index: number): string {
  const option = options[index];
  if (options.some((o) => o.hotkey)) return option?.hotkey ?? "";
  return index < 9 ? String(index + 1) : index === 9 ? "0" : "";
}
