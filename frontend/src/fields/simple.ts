// Choice, text, number, rating and pairwise outputs.
import type { FieldContext, FieldView } from "./base";
import { hotkeyIndex, hotkeyOf, panel } from "./base";
import { h, label, t } from "../util";

export function singleChoice(ctx: FieldContext): FieldView {
  const options = ctx.output.options ?? [];
  const name = `choice-${ctx.output.name}-${Math.random().toString(36).slice(2, 7)}`;
  const inputs = options.map((option) => h("input", { type: "radio", name, value: option.value, disabled: ctx.readOnly }));
  const list = h(
    "div",
    { class: "choices", role: "radiogroup" },
    options.map((option, i) =>
      h("label", { class: "choice" }, inputs[i], h("span", { class: "choice-label" }, label(option)), hotkeyOf(options, i) ? h("kbd", null, hotkeyOf(options, i)) : null),
    ),
  );
  for (const input of inputs) input.addEventListener("change", () => ctx.onChange(input.value));
  const { root, error } = panel(ctx, list);
  void error;
  return {
    panel: root,
    set(value) {
      inputs.forEach((input) => {
        input.checked = input.value === value;
        input.closest(".choice")?.classList.toggle("on", input.checked);
      });
    },
    key(event) {
      if (ctx.readOnly) return false;
      const index = hotkeyIndex(event, options);
      if (index < 0 || index >= options.length) return false;
      ctx.onChange(options[index].value);
      return true;
    },
    shortcuts: [["1–9", t("key_choose")]],
  };
}

export function multiChoice(ctx: FieldContext): FieldView {
  const options = ctx.output.options ?? [];
  let current: string[] = [];
  const inputs = options.map((option) => h("input", { type: "checkbox", value: option.value, disabled: ctx.readOnly }));
  const toggle = (value: string): void => {
    const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    // keep the spec's order so two people who tick the same boxes give the same answer
    ctx.onChange(options.map((o) => o.value).filter((v) => next.includes(v)));
  };
  for (const input of inputs) input.addEventListener("change", () => toggle(input.value));
  const limits: string[] = [];
  if (ctx.output.min_selected) limits.push(t("at_least_n", { n: ctx.output.min_selected }));
  if (ctx.output.max_selected) limits.push(t("at_most_n", { n: ctx.output.max_selected }));
  const list = h(
    "div",
    { class: "choices multi" },
    options.map((option, i) =>
      h("label", { class: "choice" }, inputs[i], h("span", { class: "choice-label" }, label(option)), hotkeyOf(options, i) ? h("kbd", null, hotkeyOf(options, i)) : null),
    ),
  );
  const { root } = panel(ctx, limits.length ? h("p", { class: "field-help" }, limits.join(" · ")) : null, list);
  return {
    panel: root,
    set(value) {
      current = Array.isArray(value) ? (value as string[]) : [];
      inputs.forEach((input) => {
        input.checked = current.includes(input.value);
        input.closest(".choice")?.classList.toggle("on", input.checked);
      });
    },
    key(event) {
      if (ctx.readOnly) return false;
      const index = hotkeyIndex(event, options);
      if (index < 0 || index >= options.length) return false;
      toggle(options[index].value);
      return true;
    },
    shortcuts: [["1–9", t("key_toggle")]],
  };
}

export function textField(ctx: FieldContext): FieldView {
  const max = ctx.output.max_length ?? 10000;
  const area = h("textarea", {
    rows: ctx.output.type === "transcription" ? 4 : 6,
    maxlength: max,
    readOnly: ctx.readOnly,
    "aria-label": ctx.output.label || ctx.output.name,
    class: ctx.output.type === "transcription" ? "transcript" : "",
  });
  const count = h("span", { class: "count" });
  const update = (): void => {
    count.textContent = `${area.value.length.toLocaleString()} / ${max.toLocaleString()}`;
  };
  area.addEventListener("input", () => {
    update();
    ctx.onChange(area.value, `text:${ctx.output.name}`);
  });
  const { root } = panel(ctx, area, h("div", { class: "field-foot" }, ctx.output.min_length ? t("at_least_chars", { n: ctx.output.min_length }) : "", count));
  return {
    panel: root,
    set(value) {
      const text = typeof value === "string" ? value : "";
      if (area.value !== text) area.value = text;
      update();
    },
  };
}

export function numberField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  const input = h("input", {
    type: "number",
    step: o.integer ? "1" : "any",
    min: o.min ?? undefined,
    max: o.max ?? undefined,
    readOnly: ctx.readOnly,
    inputmode: o.integer ? "numeric" : "decimal",
    "aria-label": o.label || o.name,
    class: "number",
  });
  input.addEventListener("input", () => {
    const raw = input.value.trim();
    const number = raw === "" ? null : Number(raw);
    ctx.onChange(number === null || Number.isNaN(number) ? null : number, `number:${o.name}`);
  });
  const range = o.min != null || o.max != null ? h("span", { class: "field-help" }, `${o.min ?? "−∞"} – ${o.max ?? "∞"}`) : null;
  const { root } = panel(ctx, h("div", { class: "row-inline" }, input, range));
  return {
    panel: root,
    set(value) {
      const text = typeof value === "number" ? String(value) : "";
      if (input.value !== text && !(input.value !== "" && Number(input.value) === value)) input.value = text;
    },
  };
}

export function ratingField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  const min = o.min ?? 1;
  const max = o.max ?? 5;
  const criteria = o.criteria ?? [];
  let current: unknown = null;
  const scale = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const rows = (criteria.length ? criteria : [{ value: "", label: "" }]).map((criterion) => {
    const buttons = scale.map((n) =>
      h("button", {
        type: "button",
        class: "score",
        disabled: ctx.readOnly,
        "aria-label": `${criterion.label || criterion.value} ${n}`,
        onclick: () => {
          if (!criteria.length) ctx.onChange(n);
          else ctx.onChange({ ...((current as Record<string, number>) ?? {}), [criterion.value]: n });
        },
      }, String(n)),
    );
    return { criterion, buttons, row: h("div", { class: "rubric-row", "data-criterion": criterion.value }, criterion.value ? h("span", { class: "rubric-name" }, label(criterion)) : null, h("div", { class: "scale" }, buttons)) };
  });
  const { root } = panel(ctx, h("div", { class: "rubric" }, rows.map((r) => r.row)), h("div", { class: "scale-ends" }, h("span", null, `${min} · ${t("rating_low")}`), h("span", null, `${t("rating_high")} · ${max}`)));
  let focusRow = 0;
  return {
    panel: root,
    set(value) {
      current = value;
      for (const r of rows) {
        const chosen = criteria.length ? (value as Record<string, number> | null)?.[r.criterion.value] : value;
        r.buttons.forEach((b, i) => b.classList.toggle("on", scale[i] === chosen));
      }
    },
    key(event) {
      if (ctx.readOnly || event.ctrlKey || event.metaKey) return false;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        focusRow = (focusRow + (event.key === "ArrowDown" ? 1 : rows.length - 1)) % rows.length;
        rows.forEach((r, i) => r.row.classList.toggle("focus", i === focusRow));
        return true;
      }
      const n = Number(event.key);
      if (!/^[0-9]$/.test(event.key) || n < min || n > max) return false;
      rows[focusRow].buttons[n - min].click();
      if (focusRow < rows.length - 1) {
        focusRow += 1;
        rows.forEach((r, i) => r.row.classList.toggle("focus", i === focusRow));
      }
      return true;
    },
    shortcuts: [[`${min}–${max}`, t("key_rate")], ["↑ ↓", t("key_criterion")]],
  };
}

export function pairwiseField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  let current: Record<string, unknown> = {};
  const choices: [string, string][] = [["a", t("pair_a")], ["b", t("pair_b")]];
  if (o.allow_tie !== false) choices.splice(1, 0, ["tie", t("pair_tie")]);
  const choiceButtons = choices.map(([value, text]) =>
    h("button", { type: "button", class: `pick pick-${value}`, disabled: ctx.readOnly, onclick: () => update({ choice: value }) }, text),
  );
  const strengths: [number, string][] = [[1, t("strength_1")], [2, t("strength_2")], [3, t("strength_3")]];
  const strengthButtons = strengths.map(([n, text]) =>
    h("button", { type: "button", class: "strength", disabled: ctx.readOnly, onclick: () => update({ strength: n }) }, text),
  );
  const rationale = h("textarea", { rows: 3, readOnly: ctx.readOnly, placeholder: t("rationale_placeholder"), "aria-label": t("rationale") });
  rationale.addEventListener("input", () => update({ rationale: rationale.value }, `rationale:${o.name}`));
  function update(change: Record<string, unknown>, coalesce?: string): void {
    const next = { ...current, ...change };
    if (next.rationale === "" && !o.require_rationale) delete next.rationale;
    ctx.onChange(next, coalesce);
  }
  const { root } = panel(
    ctx,
    h("div", { class: "pair-choice" }, choiceButtons),
    o.strength ? h("div", { class: "pair-strength" }, h("span", { class: "sub" }, t("strength")), strengthButtons) : null,
    h("label", { class: "sub" }, t("rationale"), o.require_rationale ? h("span", { class: "req" }, "*") : null, rationale),
  );
  return {
    panel: root,
    set(value) {
      current = value && typeof value === "object" ? { ...(value as Record<string, unknown>) } : {};
      choiceButtons.forEach((b, i) => b.classList.toggle("on", choices[i][0] === current.choice));
      strengthButtons.forEach((b, i) => b.classList.toggle("on", strengths[i][0] === current.strength));
      const text = typeof current.rationale === "string" ? current.rationale : "";
      if (rationale.value !== text) rationale.value = text;
    },
    key(event) {
      if (ctx.readOnly || event.ctrlKey || event.metaKey || event.altKey) return false;
      const k = event.key.toLowerCase();
      if (k === "a" && event.shiftKey) return false;
      if (k === "[" ) { update({ choice: "a" }); return true; }
      if (k === "]") { update({ choice: "b" }); return true; }
      if (k === "=" && o.allow_tie !== false) { update({ choice: "tie" }); return true; }
      if (o.strength && /^[1-3]$/.test(k)) { update({ strength: Number(k) }); return true; }
      return false;
    },
    shortcuts: [["[  ]", t("key_pair")], ["=", t("pair_tie")], ["1–3", t("strength")]],
  };
}
