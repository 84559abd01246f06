// Named-entity spans: select text with the mouse, it takes the current label; number keys pick the label.
// Offsets are Unicode code points, like Python's str indices that the server checks them with.
import type { FieldError, Option, RegionComment } from "../types";
import type { FieldContext, FieldView } from "./base";
import { commentNotes, commentsAt, hotkeyIndex, hotkeyOf, panel, pinButton, showFieldErrors } from "./base";
import { clone, colorFor, h, label, t } from "../util";

interface Span {
  start: number;
  end: number;
  label?: string | null;
  text?: string;
}

export function spansField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  const labels: Option[] = o.labels ?? [];
  const source = ctx.spec.inputs.find((i) => i.name === o.source) ?? ctx.spec.inputs.find((i) => i.type === "text" || i.type === "prompt");
  const text = String((source && ctx.data[source.name]) ?? "");
  const points = Array.from(text);
  // code point index → UTF-16 index, so DOM offsets and server offsets agree on any text
  const utf16: number[] = [0];
  for (const ch of points) utf16.push(utf16[utf16.length - 1] + ch.length);
  const toPoint = (offset: number): number => {
    let lo = 0;
    let hi = utf16.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (utf16[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  let spans: Span[] = [];
  let comments: RegionComment[] = ctx.comments;
  let currentLabel: string | null = labels[0]?.value ?? null;
  let selected = -1;

  const body = h("div", { class: "span-text", lang: "" });
  const notice = h("div", { class: "span-notice", role: "status" });
  const labelButtons = labels.map((option, i) =>
    h("button", { type: "button", class: "label-chip", style: `--c:${colorFor(labels, option.value)}`, disabled: ctx.readOnly, onclick: () => chooseLabel(option.value) }, h("span", { class: "swatch" }), label(option), hotkeyOf(labels, i) ? h("kbd", null, hotkeyOf(labels, i)) : null),
  );
  const stage = h(
    "div",
    { class: "text-stage" },
    h("div", { class: "stage-bar" }, h("div", { class: "labels" }, labelButtons)),
    body,
    notice,
    ctx.readOnly ? null : h("p", { class: "stage-hint" }, o.allow_overlap ? t("hint_spans_overlap") : t("hint_spans")),
  );
  ctx.stage?.appendChild(stage);
  const list = h("ol", { class: "entries" });
  const count = h("span", { class: "count" });
  const { root, error } = panel(ctx, h("div", { class: "entries-head" }, count), list);

  function chooseLabel(value: string): void {
    currentLabel = value;
    labelButtons.forEach((b, i) => b.classList.toggle("on", labels[i].value === value));
    if (selected >= 0 && spans[selected] && spans[selected].label !== value) {
      const next = clone(spans);
      next[selected].label = value;
      emit(next);
    }
  }

  function emit(next: Span[]): void {
    spans = next;
    draw();
    ctx.onChange(clone(next));
  }

  function say(message: string): void {
    notice.textContent = message;
    notice.classList.add("show");
    window.setTimeout(() => notice.classList.remove("show"), 4000);
  }

  function draw(): void {
    // cut the text at every span boundary; each piece knows which spans cover it
    const cuts = new Set<number>([0, points.length]);
    for (const s of spans) {
      cuts.add(Math.max(0, Math.min(points.length, s.start)));
      cuts.add(Math.max(0, Math.min(points.length, s.end)));
    }
    const edges = [...cuts].sort((a, b) => a - b);
    const pieces: Node[] = [];
    for (let k = 0; k < edges.length - 1; k++) {
      const [a, b] = [edges[k], edges[k + 1]];
      const piece = points.slice(a, b).join("");
      const covering = spans.map((s, i) => [s, i] as const).filter(([s]) => s.start <= a && s.end >= b);
      if (!covering.length) {
        pieces.push(h("span", { "data-start": a }, piece));
        continue;
      }
      const [top, index] = covering[covering.length - 1];
      const flagged = covering.some(([, i]) => commentsAt(comments, i).length);
      pieces.push(
        h("mark", {
          "data-start": a,
          "data-index": index,
          class: `span${covering.some(([, i]) => i === selected) ? " selected" : ""}${flagged ? " flagged" : ""}${covering.length > 1 ? " nested" : ""}`,
          style: `--c:${colorFor(labels, top.label)};--depth:${covering.length}`,
          title: covering.map(([s]) => s.label ?? "").join(" · "),
          "data-tag": covering.filter(([s]) => s.end === b).map(([s]) => s.label ?? "").join(" ") || undefined,
        }, piece),
      );
    }
    body.replaceChildren(...pieces);
    count.textContent = t("n_spans", { n: spans.length });
    list.replaceChildren(
      ...spans.map((s, i) =>
        h("li", { class: `entry${i === selected ? " selected" : ""}${commentsAt(comments, i).length ? " flagged" : ""}`, style: `--c:${colorFor(labels, s.label)}`, onclick: () => select(i) },
          h("div", { class: "entry-main" },
            h("span", { class: "entry-n" }, `#${i + 1}`),
            labels.length ? h("span", { class: "tag", style: `--c:${colorFor(labels, s.label)}` }, s.label ?? "") : null,
            h("span", { class: "span-quote" }, points.slice(s.start, s.end).join("")),
            pinButton(ctx, i, `#${i + 1} ${s.label ?? ""} “${points.slice(s.start, s.end).join("")}”`),
            ctx.readOnly ? null : h("button", { type: "button", class: "icon", title: t("delete") + " (Del)", "aria-label": t("delete"), onclick: (e: Event) => { e.stopPropagation(); remove(i); } }, "✕")),
          commentNotes(comments, i)),
      ),
    );
    if (!spans.length) list.appendChild(h("li", { class: "empty" }, ctx.readOnly ? t("no_spans") : t("hint_spans")));
  }

  function select(index: number): void {
    selected = index;
    draw();
    if (index >= 0 && spans[index]?.label) labelButtons.forEach((b, i) => b.classList.toggle("on", labels[i].value === spans[index].label));
  }

  function remove(index: number): void {
    const next = clone(spans);
    next.splice(index, 1);
    selected = -1;
    emit(next);
  }

  function offsetOf(node: Node, offset: number): number | null {
    // a DOM position inside the text → a UTF-16 offset into the item's text
    let element: Node | null = node;
    if (element.nodeType === Node.TEXT_NODE) element = element.parentNode;
    while (element && element !== body && !(element instanceof HTMLElement && element.dataset.start !== undefined)) element = element.parentNode;
    if (!(element instanceof HTMLElement) || element.dataset.start === undefined) {
      if (node === body) return offset === 0 ? 0 : utf16[points.length];
      return null;
    }
    if (node.nodeType !== Node.TEXT_NODE) {
      // a position between children: count the text before it
      const range = document.createRange();
      range.setStart(element, 0);
      range.setEnd(node, offset);
      return utf16[Number(element.dataset.start)] + range.toString().length;
    }
    let before = 0;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n && n !== node; n = walker.nextNode()) before += n.textContent?.length ?? 0;
    return utf16[Number(element.dataset.start)] + before + offset;
  }

  function fromSelection(): void {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return;
    const range = selection.getRangeAt(0);
    if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) return;
    const a = offsetOf(range.startContainer, range.startOffset);
    const b = offsetOf(range.endContainer, range.endOffset);
    selection.removeAllRanges();
    if (a === null || b === null) return;
    let start = toPoint(Math.min(a, b));
    let end = toPoint(Math.max(a, b));
    while (start < end && /\s/.test(points[start])) start++;
    while (end > start && /\s/.test(points[end - 1])) end--;
    if (start >= end) return;
    if (labels.length && !currentLabel) {
      say(t("pick_label_first"));
      return;
    }
    if (!o.allow_overlap) {
      const clash = spans.findIndex((s) => start < s.end && s.start < end);
      if (clash >= 0) {
        say(t("overlap_refused", { n: clash + 1 }));
        select(clash);
        return;
      }
    }
    if (spans.some((s) => s.start === start && s.end === end && s.label === currentLabel)) return;
    const span: Span = { start, end, text: points.slice(start, end).join("") };
    if (labels.length) span.label = currentLabel;
    const next = [...clone(spans), span].sort((x, y) => x.start - y.start || y.end - x.end);
    selected = next.indexOf(next.find((s) => s.start === start && s.end === end && s.label === span.label) as Span);
    emit(next);
  }

  body.addEventListener("mouseup", () => {
    ctx.activate();
    if (!ctx.readOnly) fromSelection();
  });
  body.addEventListener("click", (event) => {
    const mark = (event.target as HTMLElement).closest("mark");
    if (!mark || !window.getSelection()?.isCollapsed) return;
    const index = Number(mark.dataset.index);
    select(index);
    if (ctx.onPin) ctx.onPin(index, `#${index + 1} ${spans[index].label ?? ""} “${points.slice(spans[index].start, spans[index].end).join("")}”`);
  });
  chooseLabel(currentLabel ?? "");
  draw();

  return {
    panel: root,
    set(value) {
      const next = Array.isArray(value) ? (clone(value) as Span[]) : [];
      if (JSON.stringify(next) === JSON.stringify(spans)) return;
      spans = next;
      if (selected >= spans.length) selected = -1;
      draw();
    },
    key(event) {
      if (ctx.readOnly || event.ctrlKey || event.metaKey || event.altKey) return false;
      const index = hotkeyIndex(event, labels);
      if (index >= 0 && index < labels.length) { chooseLabel(labels[index].value); return true; }
      if ((event.key === "Delete" || event.key === "Backspace") && selected >= 0) { remove(selected); return true; }
      if (event.key === "Escape") { select(-1); return true; }
      return false;
    },
    showErrors(errors: FieldError[]) {
      showFieldErrors(error, o.name, errors);
    },
    setComments(next) {
      comments = next;
      draw();
    },
    shortcuts: [["1–9", t("key_label")], ["Del", t("key_delete_span")], ["Esc", t("key_deselect")]],
  };
}
