// One item on screen: its inputs (read-only data) and one editor per output of the spec.
import type { FieldContext, FieldView } from "./fields/base";
import { filesField } from "./fields/files";
import { imageField } from "./fields/image";
import { multiChoice, numberField, pairwiseField, ratingField, singleChoice, textField } from "./fields/simple";
import { segmentsField } from "./fields/segments";
import { spansField } from "./fields/spans";
import { framesField } from "./fields/video";
import type { Answer, FieldError, InputField, Item, OutputField, RegionComment, Spec } from "./types";
import { icon } from "./icons";
import { h, mediaUrl, t } from "./util";

const STAGE_SOURCES: Record<string, string[]> = {
  boxes: ["image"],
  polygons: ["image"],
  keypoints: ["image"],
  transcription_regions: ["image"],
  spans: ["text", "prompt"],
  time_segments: ["audio", "video"],
  frame_labels: ["video"],
};

type Factory = (ctx: FieldContext) => FieldView;
const FIELDS: Record<string, Factory> = {
  single_choice: singleChoice,
  multi_choice: multiChoice,
  text: textField,
  transcription: textField,
  number: numberField,
  rating: ratingField,
  pairwise: pairwiseField,
  boxes: imageField,
  polygons: imageField,
  keypoints: imageField,
  transcription_regions: imageField,
  spans: spansField,
  time_segments: segmentsField,
  frame_labels: framesField,
  file_upload: filesField,
};

function inputTitle(input: InputField): HTMLElement {
  return h("div", { class: "input-title" }, input.label || input.name);
}

export function renderInput(input: InputField, value: unknown, pairLabel?: string): HTMLElement | null {
  if (value === undefined || value === null || value === "") return null;
  const wrap = (body: Node, extra = ""): HTMLElement => h("figure", { class: `input kind-${input.type} ${extra}`, "data-input": input.name }, pairLabel ? h("div", { class: "pair-badge" }, pairLabel) : inputTitle(input), body);
  switch (input.type) {
    case "text":
      return wrap(h("div", { class: "input-text" }, String(value)));
    case "prompt":
      return wrap(h("div", { class: "input-prompt" }, String(value)));
    case "image":
      return wrap(h("img", { src: mediaUrl(value), alt: input.label || input.name, class: "input-image", loading: "eager" }));
    case "audio":
      return wrap(h("audio", { src: mediaUrl(value), controls: true, preload: "auto" }));
    case "video":
      return wrap(h("video", { src: mediaUrl(value), controls: true, preload: "auto", playsinline: true, class: "input-video" }));
    case "url": {
      const url = String(value);
      const safe = /^https?:\/\//.test(url) ? url : "#";
      return wrap(h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, url, " ↗"));
    }
    case "document": {
      const url = mediaUrl(value);
      return wrap(h("a", { href: url, target: "_blank", rel: "noopener", class: "button-like" }, icon("doc"), " ", t("open_document"), " ", h("code", null, String(value).split("/").pop())));
    }
    case "number":
      return wrap(h("div", { class: "input-number" }, typeof value === "number" ? value.toLocaleString() : String(value)));
    case "json":
      return wrap(h("pre", { class: "input-json" }, JSON.stringify(value, null, 2)));
    default:
      return wrap(h("div", null, String(value)));
  }
}

export interface ItemViewOptions {
  spec: Spec;
  item: Item;
  readOnly: boolean;
  value: Answer;
  comments: RegionComment[];
  assignmentId: number | null;
  onChange?: (name: string, value: unknown, coalesce?: string) => void;
  onPin?: (output: OutputField, index: number, summary: string) => void;
}

export class ItemView {
  readonly data: HTMLElement;
  readonly answers: HTMLElement;
  readonly fields = new Map<string, FieldView>();
  private active: string | null = null;

  constructor(private options: ItemViewOptions) {
    const { spec, item } = options;
    this.data = h("div", { class: "item-data" });
    this.answers = h("div", { class: "item-answers" });
    // outputs that draw on an input take that input's place in the data column (one stage per output)
    const stages = new Map<string, HTMLElement>();
    const stagesOf = new Map<string, string[]>();
    for (const output of spec.outputs) {
      const allowed = STAGE_SOURCES[output.type];
      if (!allowed) continue;
      const source = spec.inputs.find((i) => i.name === output.source) ?? spec.inputs.find((i) => allowed.includes(i.type));
      if (source) stagesOf.set(source.name, [...(stagesOf.get(source.name) ?? []), output.name]);
    }
    const pairwise = spec.outputs.some((o) => o.type === "pairwise");
    const pair = pairwise ? spec.inputs.filter((i) => /(^|_)a$/i.test(i.name) || /(^|_)b$/i.test(i.name)) : [];
    let pairRow: HTMLElement | null = null;
    for (const input of spec.inputs) {
      if (stagesOf.has(input.name)) {
        for (const name of stagesOf.get(input.name) ?? []) {
          const stage = h("div", { class: "stage", "data-input": input.name, "data-output": name });
          stages.set(name, stage);
          this.data.appendChild(stage);
        }
        continue;
      }
      if (input.type === "number" && spec.outputs.some((o) => o.type === "time_segments" || o.type === "frame_labels") && input.name === "duration") continue;
      const inPair = pair.includes(input);
      const element = renderInput(input, item.data[input.name], inPair ? (/(^|_)a$/i.test(input.name) ? "A" : "B") : undefined);
      if (!element) continue;
      if (inPair && pair.length === 2) {
        if (!pairRow) {
          pairRow = h("div", { class: "pair-row" });
          this.data.appendChild(pairRow);
        }
        pairRow.appendChild(element);
      } else this.data.appendChild(element);
    }
    for (const output of spec.outputs) {
      const factory = FIELDS[output.type];
      if (!factory) continue;
      const ctx: FieldContext = {
        output,
        spec,
        data: item.data,
        readOnly: options.readOnly,
        comments: options.comments.filter((c) => c.output === output.name),
        stage: stages.get(output.name) ?? null,
        assignmentId: options.assignmentId,
        onChange: (value, coalesce) => options.onChange?.(output.name, value, coalesce),
        onPin: options.onPin ? (index, summary) => options.onPin?.(output, index, summary) : undefined,
        activate: () => this.activate(output.name),
      };
      const view = factory(ctx);
      this.fields.set(output.name, view);
      this.answers.appendChild(view.panel);
    }
    const first = spec.outputs.find((o) => this.fields.get(o.name)?.key);
    if (first) this.activate(first.name);
    this.set(options.value);
  }

  activate(name: string): void {
    this.active = name;
    for (const [key, view] of this.fields) view.panel.classList.toggle("active", key === name);
  }

  set(answer: Answer): void {
    for (const [name, view] of this.fields) view.set(answer[name]);
  }

  /** A key the page did not use: the active field first, then any field that wants it. */
  key(event: KeyboardEvent): boolean {
    const active = this.active ? this.fields.get(this.active) : undefined;
    if (active?.key?.(event)) return true;
    return false;
  }

  /** Tab between outputs with [Alt+↓/↑]. */
  cycle(step: number): void {
    const names = [...this.fields.keys()].filter((n) => this.fields.get(n)?.key);
    if (!names.length) return;
    const index = Math.max(0, names.indexOf(this.active ?? ""));
    this.activate(names[(index + step + names.length) % names.length]);
    this.fields.get(this.active as string)?.panel.scrollIntoView({ block: "nearest" });
  }

  showErrors(errors: FieldError[]): string[] {
    const unplaced: string[] = [];
    const byField = new Map<string, FieldError[]>();
    for (const error of errors) {
      const name = error.path.split(/[.[]/)[0];
      if (this.fields.has(name)) byField.set(name, [...(byField.get(name) ?? []), error]);
      else unplaced.push(`${error.path}: ${error.error}`);
    }
    for (const [name, view] of this.fields) {
      const mine = byField.get(name) ?? [];
      if (view.showErrors) view.showErrors(mine);
      else {
        const box = view.panel.querySelector<HTMLElement>(".field-error");
        if (box) {
          box.replaceChildren(...mine.map((e) => h("div", null, e.path !== name ? h("code", null, e.path.slice(name.length).replace(/^\./, "")) : null, " ", e.error)));
          view.panel.classList.toggle("has-error", mine.length > 0);
        }
      }
    }
    const first = this.answers.querySelector(".has-error");
    first?.scrollIntoView({ block: "nearest", behavior: "smooth" });
    return unplaced;
  }

  setComments(comments: RegionComment[]): void {
    for (const [name, view] of this.fields) view.setComments?.(comments.filter((c) => c.output === name));
  }

  shortcuts(): [string, string][] {
    const seen = new Set<string>();
    const out: [string, string][] = [];
    for (const view of this.fields.values()) {
      for (const pair of view.shortcuts ?? []) {
        if (seen.has(pair.join())) continue;
        seen.add(pair.join());
        out.push(pair);
      }
    }
    return out;
  }

  destroy(): void {
    for (const view of this.fields.values()) view.destroy?.();
  }
}

/** What the browser can check before sending: required outputs that are still empty. */
export function missingRequired(spec: Spec, answer: Answer): FieldError[] {
  const errors: FieldError[] = [];
  for (const output of spec.outputs) {
    if (output.required === false) continue;
    const value = answer[output.name];
    const emptyListOk = Array.isArray(value) && ["boxes", "polygons", "keypoints", "spans", "transcription_regions", "time_segments"].includes(output.type) && !(output.min_count ?? 0);
    if (emptyListOk) continue;
    const empty = value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0) || (typeof value === "string" && !value.trim());
    if (empty) errors.push({ path: output.name, error: t("required_answer") });
  }
  return errors;
}

/** A list-shaped output with nothing drawn yet is a real answer ("no object here"): start it as []. */
export function initialAnswer(spec: Spec): Answer {
  const answer: Answer = {};
  for (const output of spec.outputs) {
    if (["boxes", "polygons", "keypoints", "spans", "transcription_regions", "time_segments"].includes(output.type) && output.required !== false) answer[output.name] = [];
  }
  return answer;
}
