// Collection: the worker records audio in the browser (MediaRecorder) or picks/takes a file; each file is
// uploaded to the assignment at once and the answer keeps the stored file's reference.
import type { FieldError } from "../types";
import type { FieldContext, FieldView } from "./base";
import { commentNotes, panel, pinButton, showFieldErrors } from "./base";
import { icon } from "../icons";
import { clone, getConfig, h, mediaUrl, t } from "../util";

interface StoredFile {
  path: string;
  size?: number;
  content_type?: string;
  name?: string;
  duration_seconds?: number | null;
  sha256?: string;
  url?: string;
}

function accepts(accept: string[], type: string, name: string): boolean {
  if (!accept.length || accept.includes("*/*")) return true;
  return accept.some((pattern) => {
    if (pattern.startsWith(".")) return name.toLowerCase().endsWith(pattern.toLowerCase());
    if (pattern.endsWith("/*")) return type.startsWith(pattern.slice(0, -1));
    return type === pattern;
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function filesField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  const accept = o.accept ?? ["*/*"];
  const maxBytes = o.max_bytes ?? 100 * 1024 * 1024;
  const maxFiles = o.max_files ?? 1;
  const wantsAudio = accept.some((a) => a === "*/*" || a.startsWith("audio/"));
  let files: StoredFile[] = [];
  const previews = new Map<string, string>(); // path → object URL of what this browser recorded or picked
  let recorder: MediaRecorder | null = null;
  let recordStart = 0;
  let timer = 0;

  const message = h("div", { class: "upload-message", role: "status" });
  const list = h("ul", { class: "files" });
  const picker = h("input", { type: "file", accept: accept.join(","), multiple: maxFiles > 1 ? true : undefined, class: "visually-hidden", "aria-label": t("choose_file") });
  if (accept.some((a) => a.startsWith("image/") || a.startsWith("video/"))) picker.setAttribute("capture", "environment");
  const progress = h("progress", { max: "100", value: "0", hidden: true });
  const recordButton = h("button", { type: "button", class: "record", disabled: ctx.readOnly, onclick: () => toggleRecording() }, h("span", { class: "rec-dot" }), t("record"));
  const recordClock = h("span", { class: "rec-clock" });
  const controls = ctx.readOnly
    ? null
    : h("div", { class: "upload-controls" },
        wantsAudio && "MediaRecorder" in window ? h("div", { class: "recorder" }, recordButton, recordClock) : null,
        h("label", { class: "button-like" }, picker, icon("clip"), " ", t("choose_file")),
        h("span", { class: "field-help" }, t("upload_limits", { size: formatBytes(maxBytes), n: maxFiles }), " · ", accept.join(", ")),
      );
  const { root, error } = panel(ctx, controls, progress, message, list);

  picker.addEventListener("change", () => {
    for (const file of Array.from(picker.files ?? [])) void upload(file, file.name);
    picker.value = "";
  });

  function say(text: string, kind: "error" | "ok" | "" = ""): void {
    message.textContent = text;
    message.className = `upload-message ${kind}`;
  }

  async function toggleRecording(): Promise<void> {
    if (recorder) {
      recorder.stop();
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      say(t("mic_denied"), "error");
      return;
    }
    const chunks: Blob[] = [];
    recorder = new MediaRecorder(stream);
    recorder.addEventListener("dataavailable", (e) => chunks.push(e.data));
    recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      window.clearInterval(timer);
      const seconds = (performance.now() - recordStart) / 1000;
      const type = recorder?.mimeType || "audio/webm";
      recorder = null;
      recordButton.classList.remove("on");
      recordButton.lastChild!.textContent = t("record");
      const blob = new Blob(chunks, { type });
      const extension = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
      void upload(new File([blob], `recording-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "")}.${extension}`, { type }), undefined, Math.round(seconds * 10) / 10);
    });
    recorder.start();
    recordStart = performance.now();
    recordButton.classList.add("on");
    recordButton.lastChild!.textContent = t("stop_recording");
    timer = window.setInterval(() => (recordClock.textContent = `${((performance.now() - recordStart) / 1000).toFixed(1)} s`), 100);
  }

  function upload(file: File, name?: string, duration?: number): Promise<void> {
    const type = file.type || "application/octet-stream";
    if (!accepts(accept, type, file.name)) {
      say(t("wrong_file_type", { name: file.name, accept: accept.join(", ") }), "error");
      return Promise.resolve();
    }
    if (file.size > maxBytes) {
      say(t("file_too_large", { name: file.name, size: formatBytes(maxBytes) }), "error");
      return Promise.resolve();
    }
    if (files.length >= maxFiles) {
      say(t("too_many_files", { n: maxFiles }), "error");
      return Promise.resolve();
    }
    if (ctx.assignmentId === null) return Promise.resolve();
    const config = getConfig();
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("output", o.name);
    progress.hidden = false;
    progress.value = 0;
    say(t("uploading", { name: file.name }));
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${config.api}/assignments/${ctx.assignmentId}/files`);
      xhr.setRequestHeader("X-CSRFToken", config.csrf);
      xhr.setRequestHeader("Accept-Language", config.lang);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) progress.value = (e.loaded / e.total) * 100;
      });
      xhr.addEventListener("loadend", () => {
        progress.hidden = true;
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(xhr.responseText || "{}");
        } catch {
          body = {};
        }
        if (xhr.status >= 200 && xhr.status < 300 && typeof body.path === "string") {
          const stored: StoredFile = { ...(body as unknown as StoredFile), size: Number(body.size ?? file.size), content_type: String(body.content_type ?? type), name: name ?? file.name };
          // the length is the server's measurement, never the browser's guess
          if (typeof body.duration_seconds !== "number") delete stored.duration_seconds;
          void duration;
          previews.set(stored.path, URL.createObjectURL(file));
          files = [...files, stored];
          render();
          ctx.onChange(clone(files));
          say(t("uploaded", { name: stored.name ?? "" }), "ok");
        } else if (xhr.status === 404 && (body.code === "not_found" || !body.code)) {
          say(t("upload_unavailable"), "error");
        } else if (xhr.status === 0) {
          say(t("network_error"), "error");
        } else {
          say(String(body.message ?? t("server_error")), "error");
        }
        resolve();
      });
      xhr.send(form);
    });
  }

  function render(): void {
    list.replaceChildren(
      ...files.map((file, i) => {
        const src = previews.get(file.path) ?? (file.url ? file.url : mediaUrl(file.path));
        const type = file.content_type ?? "";
        const preview = type.startsWith("audio/") ? h("audio", { controls: true, src, preload: "metadata" }) : type.startsWith("video/") ? h("video", { controls: true, src, preload: "metadata" }) : type.startsWith("image/") ? h("img", { src, alt: file.name ?? "" }) : null;
        return h("li", { class: "file" },
          h("div", { class: "file-head" },
            h("strong", null, file.name ?? file.path.split("/").pop()),
            h("span", { class: "muted" }, [type, file.size !== undefined ? formatBytes(file.size) : "", file.duration_seconds ? `${Math.round(file.duration_seconds * 10) / 10} s` : ""].filter(Boolean).join(" · ")),
            pinButton(ctx, i, `#${i + 1} ${file.name ?? ""}`),
            ctx.readOnly ? null : h("button", { type: "button", class: "icon", title: t("delete"), "aria-label": t("delete"), onclick: () => { files = files.filter((_, j) => j !== i); render(); ctx.onChange(clone(files)); } }, "✕")),
          preview,
          commentNotes(ctx.comments, i));
      }),
    );
    if (!files.length) list.appendChild(h("li", { class: "empty" }, ctx.readOnly ? t("no_files") : t("hint_files")));
  }
  render();

  return {
    panel: root,
    set(value) {
      const next = Array.isArray(value) ? (clone(value) as StoredFile[]) : [];
      if (JSON.stringify(next) === JSON.stringify(files)) return;
      files = next;
      render();
    },
    showErrors(errors: FieldError[]) {
      showFieldErrors(error, o.name, errors);
    },
    destroy() {
      recorder?.stop();
      previews.forEach((url) => URL.revokeObjectURL(url));
    },
    shortcuts: [],
  };
}
