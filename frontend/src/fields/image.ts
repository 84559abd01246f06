// Boxes, polygons, keypoints and OCR regions on an image. Boxes and polygons are drawn with Annotorious;
// keypoints, which Annotorious does not draw, are a small SVG layer of our own with the same look.
import { createImageAnnotator } from "@annotorious/annotorious";
import type { ImageAnnotation, ImageAnnotator } from "@annotorious/annotorious";
import type { FieldError, Option, RegionComment } from "../types";
import type { FieldContext, FieldView } from "./base";
import { commentNotes, commentsAt, hotkeyIndex, hotkeyOf, panel, pinButton, showFieldErrors } from "./base";
import { clone, colorFor, h, label, mediaUrl, t } from "../util";

type Entry = Record<string, unknown> & { label?: string | null; text?: string };
const SVG = "http://www.w3.org/2000/svg";
const round = (n: number): number => Math.round(n * 10) / 10;

/** The image with zoom and pan; shared by every shape output. */
export class ImageStage {
  readonly root: HTMLElement;
  readonly scroll: HTMLElement;
  readonly canvas: HTMLElement;
  readonly image: HTMLImageElement;
  readonly overlay: SVGSVGElement;
  readonly pins: HTMLElement;
  readonly toolbar: HTMLElement;
  readonly ready: Promise<void>;
  zoom = 1;
  private fitted = false;

  constructor(src: string, alt: string) {
    this.image = h("img", { src, alt, draggable: "false", class: "stage-image" });
    this.overlay = document.createElementNS(SVG, "svg");
    this.overlay.classList.add("stage-overlay");
    this.pins = h("div", { class: "stage-pins" });
    this.canvas = h("div", { class: "stage-canvas" }, this.image, this.overlay, this.pins);
    this.scroll = h("div", { class: "stage-scroll" }, this.canvas);
    this.toolbar = h("div", { class: "stage-tools" });
    const zoomTools = h(
      "div",
      { class: "zoom" },
      h("button", { type: "button", title: t("zoom_out") + " (-)", "aria-label": t("zoom_out"), onclick: () => this.setZoom(this.zoom / 1.25) }, "−"),
      h("button", { type: "button", title: t("zoom_fit") + " (f)", onclick: () => this.fit() }, t("zoom_fit")),
      h("button", { type: "button", title: t("zoom_in") + " (+)", "aria-label": t("zoom_in"), onclick: () => this.setZoom(this.zoom * 1.25) }, "+"),
    );
    this.root = h("div", { class: "image-stage" }, h("div", { class: "stage-bar" }, this.toolbar, zoomTools), this.scroll);
    this.ready = new Promise((resolve) => {
      const done = (): void => {
        const w = this.image.naturalWidth || 640;
        const hgt = this.image.naturalHeight || 480;
        this.overlay.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
        resolve();
      };
      if (this.image.complete && this.image.naturalWidth) done();
      else {
        this.image.addEventListener("load", done, { once: true });
        this.image.addEventListener("error", () => {
          this.scroll.appendChild(h("p", { class: "media-error" }, t("media_failed"), " ", h("code", null, src)));
          done();
        }, { once: true });
      }
    });
    this.scroll.addEventListener("wheel", (event) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      this.setZoom(this.zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    this.enablePanning();
    new ResizeObserver(() => {
      if (!this.fitted && this.scroll.clientWidth > 0) this.fit();
    }).observe(this.scroll);
  }

  get size(): [number, number] {
    return [this.image.naturalWidth || 640, this.image.naturalHeight || 480];
  }

  fit(): void {
    const [w, hgt] = this.size;
    const width = this.scroll.clientWidth;
    if (!width) return;
    this.fitted = true;
    const maxHeight = Math.max(240, window.innerHeight - 260);
    this.setZoom(Math.min(width / w, maxHeight / hgt, 4));
  }

  setZoom(zoom: number): void {
    this.zoom = Math.min(8, Math.max(0.1, zoom));
    const [w] = this.size;
    this.image.style.width = `${Math.round(w * this.zoom)}px`;
    this.image.style.maxWidth = "none";
  }

  /** Space + drag pans the image (the mouse alone draws). */
  private enablePanning(): void {
    let space = false;
    let start: { x: number; y: number; left: number; top: number } | null = null;
    const shield = h("div", { class: "pan-shield" });
    this.scroll.appendChild(shield);
    window.addEventListener("keydown", (event) => {
      if (event.code === "Space" && !space && this.root.isConnected && !(event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement)) {
        space = true;
        this.scroll.classList.add("panning");
        event.preventDefault();
      }
    });
    window.addEventListener("keyup", (event) => {
      if (event.code === "Space") {
        space = false;
        start = null;
        this.scroll.classList.remove("panning");
      }
    });
    shield.addEventListener("pointerdown", (event) => {
      start = { x: event.clientX, y: event.clientY, left: this.scroll.scrollLeft, top: this.scroll.scrollTop };
      shield.setPointerCapture(event.pointerId);
    });
    shield.addEventListener("pointermove", (event) => {
      if (!start) return;
      this.scroll.scrollLeft = start.left - (event.clientX - start.x);
      this.scroll.scrollTop = start.top - (event.clientY - start.y);
    });
    shield.addEventListener("pointerup", () => (start = null));
  }

  /** Reviewer comment pins, placed in image coordinates so they follow zoom. */
  setPins(pins: { x: number; y: number; text: string }[]): void {
    const [w, hgt] = this.size;
    this.pins.replaceChildren(
      ...pins.map((pin, i) =>
        h("div", { class: "stage-pin", style: `left:${(pin.x / w) * 100}%;top:${(pin.y / hgt) * 100}%`, title: pin.text }, h("span", { class: "pin-dot" }, String(i + 1)), h("span", { class: "pin-text" }, pin.text)),
      ),
    );
  }
}

function anchor(entry: Entry): { x: number; y: number } {
  if (Array.isArray(entry.points) && entry.points.length) {
    const [x, y] = entry.points[0] as number[];
    return { x, y };
  }
  return { x: Number(entry.x) || 0, y: Number(entry.y) || 0 };
}

function summary(entry: Entry, index: number): string {
  const name = entry.label ? String(entry.label) : "";
  const text = typeof entry.text === "string" && entry.text ? ` “${entry.text}”` : "";
  return `#${index + 1} ${name}${text}`.trim();
}

export function imageField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  const kind = o.type; // boxes | polygons | keypoints | transcription_regions
  const labels: Option[] = o.labels ?? [];
  const source = ctx.spec.inputs.find((i) => i.name === o.source) ?? ctx.spec.inputs.find((i) => i.type === "image");
  const stage = new ImageStage(mediaUrl(source ? ctx.data[source.name] : ""), source?.label || source?.name || "");
  ctx.stage?.appendChild(stage.root);
  const bounds = (): [number, number] => {
    const w = Number(ctx.data.width);
    const hgt = Number(ctx.data.height);
    return w > 0 && hgt > 0 ? [w, hgt] : stage.size;
  };

  let entries: Entry[] = [];
  let ids: string[] = [];
  let comments: RegionComment[] = ctx.comments;
  let currentLabel: string | null = labels[0]?.value ?? null;
  let selected = -1;
  let tool: "rectangle" | "polygon" = kind === "polygons" ? "polygon" : "rectangle";
  let serial = 0;
  let anno: ImageAnnotator | null = null;
  const keypointLayer = document.createElementNS(SVG, "g");

  // --- toolbar: labels (number keys) and, for OCR regions, the shape tool
  const labelButtons = labels.map((option, i) =>
    h("button", { type: "button", class: "label-chip", style: `--c:${colorFor(labels, option.value)}`, disabled: ctx.readOnly, onclick: () => chooseLabel(option.value) }, h("span", { class: "swatch" }), label(option), hotkeyOf(labels, i) ? h("kbd", null, hotkeyOf(labels, i)) : null),
  );
  const toolButtons =
    kind === "transcription_regions" && !ctx.readOnly
      ? (["rectangle", "polygon"] as const).map((name) =>
          h("button", { type: "button", class: "tool", "data-tool": name, onclick: () => setTool(name) }, name === "rectangle" ? t("tool_box") : t("tool_polygon"), h("kbd", null, name === "rectangle" ? "b" : "p")),
        )
      : [];
  stage.toolbar.append(h("div", { class: "labels" }, labelButtons), h("div", { class: "tools" }, toolButtons));
  const hint = ctx.readOnly ? "" : kind === "keypoints" ? t("hint_keypoints") : kind === "polygons" || tool === "polygon" ? t("hint_polygon") : t("hint_box");
  if (hint) stage.root.appendChild(h("p", { class: "stage-hint" }, hint));

  // --- the list of entries in the answer panel
  const list = h("ol", { class: "entries" });
  const count = h("span", { class: "count" });
  const { root, error } = panel(ctx, h("div", { class: "entries-head" }, count), list);

  function setTool(name: "rectangle" | "polygon"): void {
    tool = name;
    anno?.setDrawingTool(name);
    anno?.setDrawingMode(name === "polygon" ? "click" : "drag");
    toolButtons.forEach((b) => b.classList.toggle("on", b.dataset.tool === name));
  }

  function chooseLabel(value: string): void {
    currentLabel = value;
    labelButtons.forEach((b, i) => b.classList.toggle("on", labels[i].value === value));
    if (selected >= 0 && entries[selected] && entries[selected].label !== value) {
      const next = clone(entries);
      next[selected].label = value;
      emit(next);
    }
  }

  function emit(next: Entry[]): void {
    entries = next;
    render();
    ctx.onChange(clone(next));
  }

  function fromAnnotation(a: ImageAnnotation, base: Entry): Entry {
    const [w, hgt] = bounds();
    const clampX = (x: number): number => round(Math.min(Math.max(0, x), w));
    const clampY = (y: number): number => round(Math.min(Math.max(0, y), hgt));
    const selector = a.target.selector as unknown as { type: string; geometry: { x: number; y: number; w: number; h: number; points: number[][] } };
    const keep: Entry = {};
    if (base.label !== undefined) keep.label = base.label;
    if (kind === "transcription_regions") keep.text = typeof base.text === "string" ? base.text : "";
    if (selector.type === "POLYGON") {
      return { points: selector.geometry.points.map(([x, y]) => [clampX(x), clampY(y)]), ...keep };
    }
    const g = selector.geometry;
    const x = clampX(g.x);
    const y = clampY(g.y);
    return { x, y, width: round(Math.max(0.1, clampX(g.x + g.w) - x)), height: round(Math.max(0.1, clampY(g.y + g.h) - y)), ...keep };
  }

  function toAnnotation(entry: Entry, id: string): ImageAnnotation {
    if (Array.isArray(entry.points)) {
      const points = entry.points as number[][];
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      return {
        id,
        bodies: [],
        target: { annotation: id, selector: { type: "POLYGON", geometry: { points, bounds: { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) } } } },
      } as unknown as ImageAnnotation;
    }
    const x = Number(entry.x);
    const y = Number(entry.y);
    const w = Number(entry.width);
    const hgt = Number(entry.height);
    return {
      id,
      bodies: [],
      target: { annotation: id, selector: { type: "RECTANGLE", geometry: { x, y, w, h: hgt, bounds: { minX: x, minY: y, maxX: x + w, maxY: y + hgt } } } },
    } as unknown as ImageAnnotation;
  }

  function style(a: ImageAnnotation, state?: { selected?: boolean; hovered?: boolean }) {
    const i = ids.indexOf(a.id);
    const entry = entries[i];
    const flagged = i >= 0 && commentsAt(comments, i).length > 0;
    const color = (flagged ? "#e11d48" : colorFor(labels, entry?.label ?? currentLabel)) as `#${string}`;
    return { stroke: color, strokeWidth: state?.selected ? 3 : 2, fill: color, fillOpacity: state?.selected || state?.hovered ? 0.28 : 0.12 };
  }

  function syncShapes(): void {
    if (kind === "keypoints") {
      drawKeypoints();
    } else if (anno) {
      ids = entries.map(() => `shape-${++serial}`);
      anno.setAnnotations(entries.map((e, i) => toAnnotation(e, ids[i])), true);
      anno.setStyle(style);
    }
    stage.setPins(comments.filter((c) => typeof c.index === "number" && entries[c.index as number]).map((c) => ({ ...anchor(entries[c.index as number]), text: c.comment })));
  }

  function select(index: number): void {
    selected = index;
    list.querySelectorAll("li").forEach((li, i) => li.classList.toggle("selected", i === index));
    if (kind === "keypoints") drawKeypoints();
    else if (anno && index >= 0 && ids[index]) anno.setSelected(ids[index], !ctx.readOnly);
    if (index >= 0 && entries[index]?.label) {
      labelButtons.forEach((b, i) => b.classList.toggle("on", labels[i].value === entries[index].label));
    }
  }

  function remove(index: number): void {
    const next = clone(entries);
    next.splice(index, 1);
    selected = -1;
    emit(next);
    syncShapes();
  }

  function render(): void {
    count.textContent = t("n_regions", { n: entries.length });
    list.replaceChildren(
      ...entries.map((entry, i) => {
        const color = colorFor(labels, entry.label);
        const labelSelect = labels.length
          ? h("select", { class: "entry-label", disabled: ctx.readOnly, "aria-label": t("label"), onchange: (e: Event) => {
              const next = clone(entries);
              next[i].label = (e.target as HTMLSelectElement).value;
              emit(next);
              syncShapes();
            } }, labels.map((l) => h("option", { value: l.value, selected: l.value === entry.label ? true : undefined }, label(l))))
          : null;
        const text =
          kind === "transcription_regions"
            ? h("input", { type: "text", class: "entry-text", value: entry.text ?? "", readOnly: ctx.readOnly, placeholder: t("region_text"), "aria-label": t("region_text_n", { n: i + 1 }), oninput: (e: Event) => {
                entries[i] = { ...entries[i], text: (e.target as HTMLInputElement).value };
                ctx.onChange(clone(entries), `region-text:${o.name}:${i}`);
              } })
            : null;
        return h(
          "li",
          { class: `entry${i === selected ? " selected" : ""}${commentsAt(comments, i).length ? " flagged" : ""}`, style: `--c:${color}`, onclick: () => select(i) },
          h("div", { class: "entry-main" }, h("span", { class: "entry-n" }, `#${i + 1}`), labelSelect ?? h("span", null, kind === "keypoints" ? t("point") : t("region")), text,
            pinButton(ctx, i, summary(entry, i)),
            ctx.readOnly ? null : h("button", { type: "button", class: "icon", title: t("delete") + " (Del)", "aria-label": t("delete"), onclick: (e: Event) => { e.stopPropagation(); remove(i); } }, "✕")),
          commentNotes(comments, i),
        );
      }),
    );
    if (!entries.length) list.appendChild(h("li", { class: "empty" }, ctx.readOnly ? t("no_regions") : kind === "keypoints" ? t("hint_keypoints") : t("hint_box")));
  }

  // --- keypoints: our own layer
  function drawKeypoints(): void {
    const [w] = stage.size;
    const r = Math.max(4, w / 120);
    keypointLayer.replaceChildren(
      ...entries.map((entry, i) => {
        const g = document.createElementNS(SVG, "g");
        const dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", String(entry.x));
        dot.setAttribute("cy", String(entry.y));
        dot.setAttribute("r", String(i === selected ? r * 1.4 : r));
        dot.setAttribute("fill", commentsAt(comments, i).length ? "#e11d48" : colorFor(labels, entry.label));
        dot.setAttribute("stroke", "#fff");
        dot.setAttribute("stroke-width", String(r / 3));
        dot.classList.add("keypoint");
        dot.dataset.index = String(i);
        const tag = document.createElementNS(SVG, "text");
        tag.setAttribute("x", String(Number(entry.x) + r * 1.5));
        tag.setAttribute("y", String(Number(entry.y) - r));
        tag.setAttribute("font-size", String(r * 2.6));
        tag.classList.add("keypoint-tag");
        tag.textContent = `${i + 1} ${entry.label ?? ""}`;
        g.append(dot, tag);
        return g;
      }),
    );
  }

  function keypointEvents(): void {
    stage.overlay.appendChild(keypointLayer);
    stage.overlay.classList.add("interactive");
    const toImage = (event: PointerEvent): [number, number] => {
      const box = stage.overlay.getBoundingClientRect();
      const [w, hgt] = bounds();
      const [nw, nh] = stage.size;
      const x = ((event.clientX - box.left) / box.width) * nw;
      const y = ((event.clientY - box.top) / box.height) * nh;
      return [round(Math.min(Math.max(0, x), w)), round(Math.min(Math.max(0, y), hgt))];
    };
    let dragging = -1;
    let moved = false;
    stage.overlay.addEventListener("pointerdown", (event) => {
      ctx.activate();
      const target = event.target as SVGElement;
      if (target.classList.contains("keypoint")) {
        const index = Number(target.dataset.index);
        select(index);
        if (ctx.onPin) ctx.onPin(index, summary(entries[index], index));
        if (!ctx.readOnly) {
          dragging = index;
          moved = false;
          stage.overlay.setPointerCapture(event.pointerId);
        }
        return;
      }
      if (ctx.readOnly) return;
      if ((o.max_count ?? 10000) <= entries.length) return;
      const [x, y] = toImage(event);
      const entry: Entry = { x, y };
      if (labels.length) entry.label = currentLabel;
      selected = entries.length;
      emit([...clone(entries), entry]);
      drawKeypoints();
    });
    stage.overlay.addEventListener("pointermove", (event) => {
      if (dragging < 0) return;
      const [x, y] = toImage(event);
      entries[dragging] = { ...entries[dragging], x, y };
      moved = true;
      drawKeypoints();
    });
    stage.overlay.addEventListener("pointerup", () => {
      if (dragging >= 0 && moved) emit(clone(entries));
      dragging = -1;
    });
  }

  // --- Annotorious for boxes and polygons
  function startAnnotorious(): void {
    anno = createImageAnnotator(stage.image, {
      drawingEnabled: !ctx.readOnly,
      userSelectAction: ctx.readOnly ? "SELECT" : "EDIT",
      style,
    } as never);
    anno.setDrawingTool(tool);
    setTool(tool);
    anno.on("createAnnotation", (a) => {
      if ((o.max_count ?? 10000) <= entries.length) {
        anno?.removeAnnotation(a.id);
        return;
      }
      const entry = fromAnnotation(a, labels.length ? { label: currentLabel } : {});
      ids.push(a.id);
      selected = entries.length;
      emit([...clone(entries), entry]);
      anno?.setStyle(style);
      if (kind === "transcription_regions") {
        requestAnimationFrame(() => (list.querySelectorAll<HTMLInputElement>(".entry-text")[selected])?.focus());
      }
    });
    anno.on("updateAnnotation", (a) => {
      const i = ids.indexOf(a.id);
      if (i < 0) return;
      const next = clone(entries);
      next[i] = fromAnnotation(a, entries[i]);
      emit(next);
    });
    anno.on("deleteAnnotation", (a) => {
      const i = ids.indexOf(a.id);
      if (i < 0) return;
      ids.splice(i, 1);
      const next = clone(entries);
      next.splice(i, 1);
      emit(next);
    });
    anno.on("selectionChanged", (selection) => {
      const i = selection.length ? ids.indexOf(selection[0].id) : -1;
      selected = i;
      list.querySelectorAll("li").forEach((li, j) => li.classList.toggle("selected", j === i));
      if (i >= 0 && entries[i]?.label) labelButtons.forEach((b, j) => b.classList.toggle("on", labels[j].value === entries[i].label));
    });
    anno.on("clickAnnotation", (a) => {
      const i = ids.indexOf(a.id);
      ctx.activate();
      if (i >= 0 && ctx.onPin) ctx.onPin(i, summary(entries[i], i));
    });
  }

  void stage.ready.then(() => {
    if (kind === "keypoints") keypointEvents();
    else startAnnotorious();
    syncShapes();
  });
  chooseLabel(currentLabel ?? "");
  render();

  return {
    panel: root,
    set(value) {
      const next = Array.isArray(value) ? (clone(value) as Entry[]) : [];
      if (JSON.stringify(next) === JSON.stringify(entries)) return;
      entries = next;
      if (selected >= entries.length) selected = -1;
      render();
      syncShapes();
    },
    key(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return false;
      if (event.key === "+" || event.key === "=") { stage.setZoom(stage.zoom * 1.25); return true; }
      if (event.key === "-") { stage.setZoom(stage.zoom / 1.25); return true; }
      if (event.key === "f") { stage.fit(); return true; }
      if (ctx.readOnly) return false;
      const index = hotkeyIndex(event, labels);
      if (index >= 0 && index < labels.length) { chooseLabel(labels[index].value); return true; }
      if ((event.key === "Delete" || event.key === "Backspace") && selected >= 0) { remove(selected); return true; }
      if (event.key === "Escape") { anno?.cancelSelected(); select(-1); return true; }
      if (kind === "transcription_regions" && event.key === "b") { setTool("rectangle"); return true; }
      if (kind === "transcription_regions" && event.key === "p") { setTool("polygon"); return true; }
      return false;
    },
    showErrors(errors: FieldError[]) {
      showFieldErrors(error, o.name, errors);
      list.querySelectorAll("li").forEach((li, i) => li.classList.toggle("invalid", errors.some((e) => e.path.startsWith(`${o.name}[${i}]`))));
    },
    setComments(next) {
      comments = next;
      render();
      syncShapes();
    },
    destroy() {
      anno?.destroy();
    },
    shortcuts: [
      ["1–9", t("key_label")],
      ["Del", t("key_delete_shape")],
      ["+ / − / f", t("key_zoom")],
      [t("key_space_drag"), t("key_pan")],
      ...(kind === "transcription_regions" ? ([["b / p", t("key_tool")]] as [string, string][]) : []),
    ],
  };
}
