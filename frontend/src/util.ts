// Small DOM, translation and HTTP helpers shared by every part of the workspace.
import type { Config } from "./types";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

/** Creates an element: attributes (on* are listeners, class, dataset-free), then children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        element.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
      } else if (key === "class") {
        element.className = String(value);
      } else if (key === "value" && "value" in element) {
        (element as HTMLInputElement).value = String(value);
      } else if (key === "checked" || key === "disabled" || key === "readOnly" || key === "hidden") {
        (element as unknown as Record<string, unknown>)[key] = Boolean(value);
      } else if (key === "html") {
        element.innerHTML = String(value);
      } else {
        element.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child);
    else if (child === null || child === undefined || child === false) continue;
    else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function clear(element: Element, ...children: (Child | Child[])[]): void {
  element.replaceChildren();
  append(element, children);
}

let strings: Record<string, string> = {};

export function setStrings(table: Record<string, string>): void {
  strings = table;
}

/** A translated UI string (translated by Django's gettext in the page); %(name)s placeholders are filled. */
export function t(key: string, values: Record<string, string | number> = {}): string {
  // Django's template gettext doubles "%" (as makemessages does); the strings use %(name)s placeholders
  const text = (strings[key] ?? key).replace(/%%/g, "%");
  return text.replace(/%\((\w+)\)[sd]/g, (_m, name: string) => String(values[name] ?? ""));
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

let config: Config;

export function setConfig(value: Config): void {
  config = value;
}

export function getConfig(): Config {
  return config;
}

/** Calls the JSON API with the session cookie and the CSRF token; 204 gives null; errors throw ApiError. */
export async function api<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T | null> {
  const headers: Record<string, string> = { "X-CSRFToken": config.csrf, Accept: "application/json", "Accept-Language": config.lang };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(config.api + path, { method, headers, body: payload, credentials: "same-origin", ...init });
  } catch {
    throw new ApiError(0, "network", t("network_error"));
  }
  if (response.status === 204) return null;
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
    throw new ApiError(response.status, error.code ?? "http_" + response.status, error.message ?? t("server_error"), error.details ?? {});
  }
  return data as T;
}

/** A media path from item data as a URL: absolute URLs and rooted paths stay, others live under MEDIA_URL. */
export function mediaUrl(value: unknown): string {
  const path = String(value ?? "");
  if (/^(https?:|blob:|data:)/.test(path) || path.startsWith("/")) return path;
  if (path.startsWith("s3://")) return path;
  return config.media_url + path.split("/").map(encodeURIComponent).join("/");
}

export function label(option: { value: string; label?: string }): string {
  return option.label || option.value;
}

export function outputLabel(field: { name: string; label?: string }): string {
  return field.label || field.name;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Colours for labels, chosen to stay readable on photos and on white. */
export const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#ea580c", "#4f46e5"];

export function colorFor(labels: { value: string }[] | undefined, value: unknown): string {
  const index = (labels ?? []).findIndex((l) => l.value === value);
  return PALETTE[(index < 0 ? 0 : index) % PALETTE.length];
}

export function formatSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, "0")}`;
}

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
