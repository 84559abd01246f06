// The Academy's practice and exam questions, answered with the workspace's own field widgets: a box is
// drawn with Annotorious, a span selected in the text, exactly as on a real project. The whole answer is
// kept as JSON in the question's hidden field, which the page's form sends (dure/academy/views.py).
import "./academy.css";
import { ItemView, initialAnswer } from "./itemview";
import type { Answer, Config, Item, Spec } from "./types";
import { h, isTyping, setConfig, setStrings } from "./util";

interface Question {
  spec: Spec;
  item: Item;
  value: Answer | null;
  field: string;
}

const SELECTOR = "[data-academy-question]";
/** the question the person last touched: number keys and Delete act on it */
let active: ItemView | null = null;

function mount(root: HTMLElement): void {
  const source = document.getElementById(root.dataset.academyQuestion ?? "");
  if (!source || root.dataset.mounted) return;
  root.dataset.mounted = "true";
  // htmx parses swapped-in pages without scripting, so a <noscript>'s fallback fields become real ones
  root.querySelectorAll("noscript").forEach((fallback) => fallback.remove());
  const question = JSON.parse(source.textContent || "{}") as Question;
  const input = root.querySelector<HTMLInputElement>("input[data-answer]");
  let answer: Answer = { ...initialAnswer(question.spec), ...(question.value ?? {}) };
  const save = (): void => {
    if (input) input.value = JSON.stringify(answer);
  };
  const view: ItemView = new ItemView({
    spec: question.spec,
    item: question.item,
    readOnly: root.hasAttribute("data-read-only"),
    value: answer,
    comments: [],
    assignmentId: null,
    onChange: (name, value) => {
      answer = { ...answer, [name]: value };
      view.set(answer);
      save();
    },
  });
  save();
  root.appendChild(h("div", { class: "ws academy-ws" }, h("div", { class: "item-grid" }, view.data, h("div", { class: "item-side" }, view.answers))));
  root.addEventListener("pointerdown", () => (active = view), true);
  root.addEventListener("focusin", () => (active = view));
  active ??= view;
}

function mountAll(root: ParentNode): void {
  if (root instanceof HTMLElement && root.matches(SELECTOR)) mount(root);
  root.querySelectorAll<HTMLElement>(SELECTOR).forEach(mount);
}

function onKey(event: KeyboardEvent): void {
  if (!active || isTyping(event.target) || event.ctrlKey || event.metaKey) return;
  if (active.key(event)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}

export function bootAcademy(): void {
  const source = document.getElementById("workspace-config");
  const strings = document.getElementById("workspace-strings");
  const config = JSON.parse(source?.textContent || "{}") as Config;
  config.strings = strings ? (JSON.parse(strings.textContent || "{}") as Record<string, string>) : {};
  setConfig(config);
  setStrings(config.strings);
  mountAll(document);
  // practice answers come back through htmx with their feedback: mount the widgets of the new form
  document.body.addEventListener("htmx:load", (event) => mountAll(event.target as ParentNode));
  window.addEventListener("keydown", onKey, true);
}
