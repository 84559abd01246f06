// Frame-level classification of a video ("frame_labels"): step frame by frame with , and . (Shift: 10),
// give the current frame — or a range dragged on the timeline or marked with [ and ] — a class with its
// number key, and see every classified range on the timeline. The answer is a sorted list of inclusive,
// non-overlapping frame ranges {start_frame, end_frame, label}, which dure/projects/spec.py validates.
import "./video.css";
import type { FieldError, Option, RegionComment } from "../types";
import type { FieldContext, FieldView } from "./base";
import { commentNotes, commentsAt, hotkeyIndex, hotkeyOf, panel, pinButton, showFieldErrors } from "./base";
import { clone, colorFor, formatSeconds, h, label, mediaUrl, t } from "../util";

export interface FrameRange {
  start_frame: number;
  end_frame: number;
  label: string;
}

interface Selection {
  anchor: number;
  head: number;
}

const DEFAULT_FPS = 30;

/** Frames per second: the spec's, else the item's own ``fps``, else 30 (as dure/projects/spec.py). */
export function frameRate(spec: { fps?: number | null }, data: Record<string, unknown>): number {
  if (spec.fps && spec.fps > 0) return spec.fps;
  const own = Number(data.fps);
  return own > 0 && own <= 1000 ? own : DEFAULT_FPS;
}

/** The frame count for a duration in seconds; a frame that starts before the end counts. */
export function framesIn(duration: number, fps: number): number {
  return Math.max(1, Math.ceil(duration * fps - 1e-6));
}

/** ``ranges`` with frames first..last given ``value`` (null erases them): cut, insert, merge neighbours. */
export function assignFrames(ranges: FrameRange[], first: number, last: number, value: string | null): FrameRange[] {
  const out: FrameRange[] = [];
  for (const r of ranges) {
    if (r.end_frame < first || r.start_frame > last) {
      out.push({ ...r });
      continue;
    }
    if (r.start_frame < first) out.push({ ...r, end_frame: first - 1 });
    if (r.end_frame > last) out.push({ ...r, start_frame: last + 1 });
  }
  if (value !== null) out.push({ start_frame: first, end_frame: last, label: value });
  out.sort((a, b) => a.start_frame - b.start_frame);
  const merged: FrameRange[] = [];
  for (const r of out) {
    const previous = merged[merged.length - 1];
    if (previous && previous.label === r.label && previous.end_frame + 1 >= r.start_frame) previous.end_frame = Math.max(previous.end_frame, r.end_frame);
    else merged.push(r);
  }
  return merged;
}

export function framesField(ctx: FieldContext): FieldView {
  const o = ctx.output as typeof ctx.output & { fps?: number | null };
  const labels: Option[] = o.labels ?? [];
  const source = ctx.spec.inputs.find((i) => i.name === o.source) ?? ctx.spec.inputs.find((i) => i.type === "video");
  const url = mediaUrl(source ? ctx.data[source.name] : "");
  const fps = frameRate(o, ctx.data);
  const given = Number(ctx.data.duration);
  let total = given > 0 ? framesIn(given, fps) : 0;

  let ranges: FrameRange[] = [];
  let comments: RegionComment[] = ctx.comments;
  let frame = 0;
  let selection: Selection | null = null;
  /** after [ the selection follows the current frame until ] (or a class) closes it */
  let marking = false;
  let selected = -1;
  let currentLabel: string | null = labels[0]?.value ?? null;

  const video = h("video", { src: url, class: "frames-video", preload: "auto", playsinline: true, muted: true, "aria-label": source?.label || source?.name || "video" });
  const counter = h("span", { class: "frame-counter", "aria-live": "polite" });
  const clock = h("span", { class: "clock" });
  const playButton = h("button", { type: "button", class: "play", title: `${t("play_pause")} (Space)`, "aria-label": t("play_pause"), onclick: () => togglePlay() }, "▶");
  const step = (n: number, text: string, title: string): HTMLButtonElement =>
    h("button", { type: "button", class: "step", title, "aria-label": title, onclick: () => { ctx.activate(); go(frame + n); } }, text);
  const labelButtons = labels.map((option, i) =>
    h("button", { type: "button", class: "label-chip", style: `--c:${colorFor(labels, option.value)}`, disabled: ctx.readOnly, onclick: () => { ctx.activate(); classify(option.value); } },
      h("span", { class: "swatch" }), label(option), hotkeyOf(labels, i) ? h("kbd", null, hotkeyOf(labels, i)) : null),
  );
  const track = h("div", { class: "frame-track", role: "slider", tabindex: "0", "aria-label": t("frame_timeline"), "aria-valuemin": "0" });
  const bars = h("div", { class: "frame-bars" });
  const band = h("div", { class: "frame-selection", hidden: true });
  const head = h("div", { class: "frame-head" });
  track.append(bars, band, head);
  const hint = h("p", { class: "stage-hint" }, t("loading_media"));
  const stage = h(
    "div",
    { class: "frames-stage" },
    h("div", { class: "frames-screen" }, video),
    h("div", { class: "stage-bar" },
      h("div", { class: "labels" }, labelButtons),
      h("div", { class: "transport" }, step(-10, "«", t("back_10_frames")), step(-1, "‹", `${t("previous_frame")} (,)`), playButton, step(1, "›", `${t("next_frame")} (.)`), step(10, "»", t("forward_10_frames")), counter, clock)),
    track,
    hint,
  );
  ctx.stage?.appendChild(stage);

  video.addEventListener("loadedmetadata", () => {
    if (!total && Number.isFinite(video.duration) && video.duration > 0) total = framesIn(video.duration, fps);
    hint.textContent = ctx.readOnly ? "" : t("hint_frames");
    go(frame);
  });
  video.addEventListener("error", () => hint.replaceChildren(h("span", { class: "media-error" }, t("media_failed"), " ", h("code", null, url))));
  video.addEventListener("play", () => { playButton.textContent = "❚❚"; follow(); });
  video.addEventListener("pause", () => { playButton.textContent = "▶"; settle(); });
  video.addEventListener("seeked", () => { if (video.paused) paint(); });
  video.addEventListener("click", () => { ctx.activate(); togglePlay(); });

  function frameAt(seconds: number): number {
    return Math.max(0, Math.min(last(), Math.floor(seconds * fps + 1e-3)));
  }

  function last(): number {
    return Math.max(0, (total || 1) - 1);
  }

  /** While playing, the frame on screen comes from the video's own clock. */
  function follow(): void {
    if (video.paused) return;
    frame = frameAt(video.currentTime);
    paint();
    requestAnimationFrame(follow);
  }

  function settle(): void {
    frame = frameAt(video.currentTime);
    paint();
  }

  function togglePlay(): void {
    if (video.paused) void video.play().catch(() => undefined);
    else video.pause();
  }

  /** Shows frame n: the middle of its time on screen, so rounding never shows its neighbour. */
  function go(n: number): void {
    if (!video.paused) video.pause();
    frame = Math.max(0, Math.min(last(), n));
    if (marking && selection) selection.head = frame;
    const target = (frame + 0.5) / fps;
    if (Number.isFinite(video.duration)) video.currentTime = Math.min(target, Math.max(0, video.duration - 0.001));
    paint();
  }

  function selectionBounds(): [number, number] | null {
    if (!selection) return null;
    return [Math.min(selection.anchor, selection.head), Math.max(selection.anchor, selection.head)];
  }

  /** Gives the selected range, or else the current frame, the class ``value`` (null: no class). */
  function classify(value: string | null): void {
    if (ctx.readOnly) return;
    if (value !== null) chooseLabel(value);
    const [first, lastFrame] = selectionBounds() ?? [frame, frame];
    const next = assignFrames(ranges, first, lastFrame, value);
    if (JSON.stringify(next) === JSON.stringify(ranges)) return;
    ranges = next;
    selected = ranges.findIndex((r) => r.start_frame <= first && r.end_frame >= first);
    selection = null;
    marking = false;
    render();
    ctx.onChange(clone(ranges));
  }

  function chooseLabel(value: string): void {
    currentLabel = value;
    labelButtons.forEach((b, i) => b.classList.toggle("on", labels[i].value === value));
  }

  function labelAt(n: number): string | null {
    return ranges.find((r) => r.start_frame <= n && r.end_frame >= n)?.label ?? null;
  }

  const pct = (n: number): string => `${(100 * n) / Math.max(1, total)}%`;

  function paint(): void {
    const at = labelAt(frame);
    const option = labels.find((l) => l.value === at);
    counter.replaceChildren(t("frame_n", { n: frame, total: total || "?" }));
    if (option) counter.appendChild(h("span", { class: "frame-class", style: `--c:${colorFor(labels, at)}` }, label(option)));
    clock.textContent = formatSeconds(frame / fps);
    head.style.left = pct(frame);
    head.style.width = pct(1);
    track.setAttribute("aria-valuenow", String(frame));
    track.setAttribute("aria-valuemax", String(last()));
    track.setAttribute("aria-valuetext", t("frame_n", { n: frame, total: total || "?" }));
    const bounds = selectionBounds();
    band.hidden = !bounds;
    if (bounds) {
      band.style.left = pct(bounds[0]);
      band.style.width = pct(bounds[1] - bounds[0] + 1);
    }
  }

  function drawBars(): void {
    bars.replaceChildren(
      ...ranges.map((r, i) =>
        h("div", {
          class: `frame-bar${i === selected ? " selected" : ""}${commentsAt(comments, i).length ? " flagged" : ""}`,
          style: `left:${pct(r.start_frame)};width:${pct(r.end_frame - r.start_frame + 1)};--c:${colorFor(labels, r.label)}`,
          title: summary(i),
        }, `${i + 1}`),
      ),
    );
  }

  // Dragging on the timeline selects frames; a click without a drag only moves there.
  let dragging = false;
  function frameOfPointer(event: PointerEvent): number {
    const box = track.getBoundingClientRect();
    const x = Math.max(0, Math.min(box.width - 0.01, event.clientX - box.left));
    return Math.max(0, Math.min(last(), Math.floor((x / box.width) * Math.max(1, total))));
  }
  track.addEventListener("pointerdown", (event) => {
    ctx.activate();
    dragging = true;
    marking = false;
    track.setPointerCapture(event.pointerId);
    const n = frameOfPointer(event);
    selection = ctx.readOnly ? null : { anchor: n, head: n };
    go(n);
  });
  track.addEventListener("pointermove", (event) => {
    if (!dragging || !selection) return;
    selection.head = frameOfPointer(event);
    go(selection.head);
  });
  const stopDrag = (): void => {
    if (!dragging) return;
    dragging = false;
    if (selection && selection.anchor === selection.head) selection = null;
    paint();
  };
  track.addEventListener("pointerup", stopDrag);
  track.addEventListener("pointercancel", stopDrag);

  function summary(i: number): string {
    const r = ranges[i];
    if (!r) return "";
    const option = labels.find((l) => l.value === r.label);
    return `#${i + 1} ${t("frames_range", { first: r.start_frame, last: r.end_frame })} ${option ? label(option) : r.label}`;
  }

  function remove(i: number): void {
    const next = clone(ranges);
    next.splice(i, 1);
    ranges = next;
    selected = -1;
    render();
    ctx.onChange(clone(ranges));
  }

  function relabel(i: number, value: string): void {
    const r = ranges[i];
    ranges = assignFrames(ranges, r.start_frame, r.end_frame, value);
    render();
    ctx.onChange(clone(ranges));
  }

  const list = h("ol", { class: "entries frame-ranges" });
  const count = h("span", { class: "count" });
  const { root, error } = panel(ctx, h("div", { class: "entries-head" }, count), list);

  function render(): void {
    const classified = ranges.reduce((sum, r) => sum + r.end_frame - r.start_frame + 1, 0);
    count.textContent = t("n_frames_classified", { n: classified, total: total || "?" });
    list.replaceChildren(
      ...ranges.map((r, i) =>
        h("li", { class: `entry${i === selected ? " selected" : ""}${commentsAt(comments, i).length ? " flagged" : ""}`, style: `--c:${colorFor(labels, r.label)}`, onclick: () => { selected = i; marking = false; selection = { anchor: r.start_frame, head: r.end_frame }; go(r.start_frame); render(); } },
          h("div", { class: "entry-main" },
            h("span", { class: "entry-n" }, `#${i + 1}`),
            h("span", { class: "times" }, t("frames_range", { first: r.start_frame, last: r.end_frame }), h("small", null, ` ${formatSeconds(r.start_frame / fps)}–${formatSeconds((r.end_frame + 1) / fps)}`)),
            h("select", { class: "entry-label", disabled: ctx.readOnly, "aria-label": t("label"), onclick: (e: Event) => e.stopPropagation(), onchange: (e: Event) => relabel(i, (e.target as HTMLSelectElement).value) }, labels.map((l) => h("option", { value: l.value, selected: l.value === r.label ? true : undefined }, label(l)))),
            pinButton(ctx, i, summary(i)),
            ctx.readOnly ? null : h("button", { type: "button", class: "icon", title: t("delete"), "aria-label": t("delete"), onclick: (e: Event) => { e.stopPropagation(); remove(i); } }, "✕")),
          commentNotes(comments, i)),
      ),
    );
    if (!ranges.length) list.appendChild(h("li", { class: "empty" }, ctx.readOnly ? t("no_frame_ranges") : t("hint_frames")));
    drawBars();
    paint();
  }
  if (currentLabel) chooseLabel(currentLabel);
  render();

  return {
    panel: root,
    set(value) {
      const next = Array.isArray(value) ? (clone(value) as FrameRange[]) : [];
      if (JSON.stringify(next) === JSON.stringify(ranges)) return;
      ranges = next;
      if (selected >= ranges.length) selected = -1;
      render();
    },
    key(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return false;
      const big = event.shiftKey ? 10 : 1;
      if (event.key === "," || event.key === "<" || (event.code === "Comma" && event.shiftKey)) { go(frame - big); return true; }
      if (event.key === "." || event.key === ">" || (event.code === "Period" && event.shiftKey)) { go(frame + big); return true; }
      if (event.key === " " || event.code === "Space") { togglePlay(); return true; }
      if (event.key === "Home") { go(0); return true; }
      if (event.key === "End") { go(last()); return true; }
      if (ctx.readOnly) return false;
      if (event.key === "[") { selection = { anchor: frame, head: frame }; marking = true; paint(); return true; }
      if (event.key === "]") { selection = { anchor: selection?.anchor ?? frame, head: frame }; marking = false; paint(); return true; }
      if (event.key === "Escape" && selection) { selection = null; marking = false; paint(); return true; }
      if (event.key === "Delete" || event.key === "Backspace") { classify(null); return true; }
      if (event.key === "Enter" && currentLabel) { classify(currentLabel); return true; }
      const index = hotkeyIndex(event, labels);
      if (index >= 0 && index < labels.length) { classify(labels[index].value); return true; }
      return false;
    },
    showErrors(errors: FieldError[]) {
      showFieldErrors(error, o.name, errors);
      list.querySelectorAll(":scope > li").forEach((li, i) => li.classList.toggle("invalid", errors.some((e) => e.path.startsWith(`${o.name}[${i}]`))));
    },
    setComments(next) {
      comments = next;
      render();
    },
    destroy() {
      video.pause();
      video.removeAttribute("src");
      video.load();
    },
    shortcuts: [
      [", .", t("key_step_frame")],
      ["Shift+, Shift+.", t("key_step_10_frames")],
      ["Space", t("play_pause")],
      ["1–9", t("key_classify_frames")],
      ["[ ]", t("key_mark_frames")],
      ["Del", t("key_erase_frames")],
      [t("key_drag_timeline"), t("key_select_frames")],
    ],
  };
}
