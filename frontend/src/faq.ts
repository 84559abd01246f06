// A rejection may link an entry of the project's FAQ: the reason "faq:<question id>", shown as a link to the
// answer, so the worker reads the rule instead of guessing from a short reason.
import type { FaqLink } from "./types";
import { getConfig, h, t } from "./util";

const PREFIX = "faq:";

export function isFaqReason(reason: string): boolean {
  return reason.startsWith(PREFIX);
}

export function faqReason(id: number): string {
  return `${PREFIX}${id}`;
}

/** The link for a "faq:<id>" reason; `known` are the entries the server resolved, else the project's FAQ. */
export function faqLink(reason: string, known: FaqLink[] = []): HTMLElement {
  const id = Number(reason.slice(PREFIX.length));
  const entry = known.find((e) => e.id === id) ?? (getConfig().faq ?? []).find((e) => e.id === id);
  const text = entry ? entry.text : `#${id}`;
  return h("a", { class: "faq-link", href: entry ? entry.url : "#", target: "_blank", rel: "noopener" }, t("faq_entry", { text }));
}

/** The reviewer's choice of an FAQ entry to link, or null when the project has no FAQ yet. */
export function faqPicker(): HTMLSelectElement | null {
  const entries = getConfig().faq ?? [];
  if (!entries.length) return null;
  return h(
    "select",
    { class: "faq-pick", "aria-label": t("faq_pick") },
    h("option", { value: "" }, t("faq_none")),
    entries.map((e) => h("option", { value: faqReason(e.id) }, e.text.length > 80 ? e.text.slice(0, 77) + "…" : e.text)),
  );
}
