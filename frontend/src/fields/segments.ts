// Time segments on a recording (audio or video): drag on the waveform to make a segment, then label,
// transcribe and name the speaker. wavesurfer.js draws the waveform and the regions.
import WaveSurfer from "wavesurfer.js";
import RegionsPlugin from "wavesurfer.js/dist/plugins/regions.esm.js";
import TimelinePlugin from "wavesurfer.js/dist/plugins/timeline.esm.js";
import type { Region } from "wavesurfer.js/dist/plugins/regions.esm.js";
import type { FieldError, Option, RegionComment } from "../types";
import type { FieldContext, FieldView } from "./base";
import { commentNotes, commentsAt, hotkeyIndex, hotkeyOf, panel, pinButton, showFieldErrors } from "./base";
import { icon } from "../icons";
import { clone, colorFor, formatSeconds, h, label, mediaUrl, t } from "../util";

interface Segment {
  start: number;
  end: number;
  label?: string | null;
  text?: string;
  speaker?: string;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

function alpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

export function segmentsField(ctx: FieldContext): FieldView {
  const o = ctx.output;
  const labels: Option[] = o.labels ?? [];
  const source = ctx.spec.inputs.find((i) => i.name === o.source) ?? ctx.spec.inputs.find((i) => i.type === "audio" || i.type === "video");
  const url = mediaUrl(source ? ctx.data[source.name] : "");
  const isVideo = source?.type === "video";
  const duration = Number(ctx.data.duration) > 0 ? Number(ctx.data.duration) : null;

  let segments: Segment[] = [];
  let comments: RegionComment[] = ctx.comments;
  let currentLabel: string | null = labels[0]?.value ?? null;
  let selected = -1;
  let regionIds: string[] = [];
  let applying = false;
  let serial = 0;

  const video = isVideo ? h("video", { src: url, class: "stage-video", preload: "auto", playsinline: true }) : null;
  const wave = h("div", { class: "wave" });
  const timeline = h("div", { class: "wave-timeline" });
  const clock = h("span", { class: "clock" }, "0:00.00");
  const playButton = h("button", { type: "button", class: "play", title: t("play_pause") + " (Space)", onclick: () => ws.playPause() }, "▶");
  const zoom = h("input", { type: "range", min: "10", max: "400", value: "60", class: "wave-zoom", "aria-label": t("zoom"), oninput: () => ws.zoom(Number(zoom.value)) });
  const rate = h("select", { class: "rate", "aria-label": t("speed"), onchange: () => ws.setPlaybackRate(Number(rate.value)) }, ["0.5", "0.75", "1", "1.25", "1.5", "2"].map((r) => h("option", { value: r, selected: r === "1" ? true : undefined }, `${r}×`)));
  const labelButtons = labels.map((option, i) =>
    h("button", { type: "button", class: "label-chip", style: `--c:${colorFor(labels, option.value)}`, disabled: ctx.readOnly, onclick: () => chooseLabel(option.value) }, h("span", { class: "swatch" }), label(option), hotkeyOf(labels, i) ? h("kbd", null, hotkeyOf(labels, i)) : null),
  );
  const status = h("p", { class: "stage-hint" }, t("loading_media"));
  const stage = h(
    "div",
    { class: "wave-stage" },
    video,
    h("div", { class: "stage-bar" }, h("div", { class: "labels" }, labelButtons), h("div", { class: "transport" }, playButton, clock, rate, h("label", { class: "zoom-label" }, icon("search"), zoom))),
    wave,
    timeline,
    status,
  );
  ctx.stage?.appendChild(stage);

  const regions = RegionsPlugin.create();
  const ws = WaveSurfer.create({
    container: wave,
    url: video ? undefined : url,
    media: video ?? undefined,
    height: 120,
    waveColor: "#9db4cf",
    progressColor: "#1f6f5c",
    cursorColor: "#e11d48",
    minPxPerSec: 60,
    autoScroll: true,
    autoCenter: true,
    normalize: true,
    plugins: [regions, TimelinePlugin.create({ container: timeline })],
  });
  if (!ctx.readOnly) regions.enableDragSelection({ color: alpha(colorFor(labels, currentLabel), 0.25) });
  ws.on("ready", () => {
    status.textContent = ctx.readOnly ? "" : t("hint_segments");
    syncRegions();
  });
  ws.on("error", () => {
    status.replaceChildren(h("span", { class: "media-error" }, t("media_failed"), " ", h("code", null, url)));
  });
  ws.on("timeupdate", (time) => (clock.textContent = formatSeconds(time)));
  ws.on("play", () => (playButton.textContent = "❚❚"));
  ws.on("pause", () => (playButton.textContent = "▶"));

  regions.on("region-created", (region: Region) => {
    if (applying) return;
    ctx.activate();
    const segment: Segment = { start: round(region.start), end: round(clampEnd(region.end)) };
    if (labels.length) segment.label = currentLabel;
    if (o.transcribe) segment.text = "";
    if (o.speakers) segment.speaker = lastSpeaker();
    if (o.allow_overlap === false && segments.some((s) => segment.start < s.end && s.start < segment.end)) {
      region.remove();
      status.textContent = t("segment_overlap_refused");
      return;
    }
    const next = [...clone(segments), segment].sort((a, b) => a.start - b.start);
    selected = next.indexOf(next.find((s) => s.start === segment.start && s.end === segment.end) as Segment);
    segments = next;
    render();
    syncRegions();
    ctx.onChange(clone(next));
    if (o.transcribe) requestAnimationFrame(() => list.querySelectorAll<HTMLTextAreaElement>(".seg-text")[selected]?.focus());
  });
  regions.on("region-updated", (region: Region) => {
    const i = regionIds.indexOf(region.id);
    if (i < 0 || applying) return;
    const next = clone(segments);
    next[i] = { ...next[i], start: round(region.start), end: round(clampEnd(region.end)) };
    segments = next;
    render();
    ctx.onChange(clone(next));
  });
  regions.on("region-clicked", (region: Region, event: MouseEvent) => {
    event.stopPropagation();
    const i = regionIds.indexOf(region.id);
    ctx.activate();
    select(i);
    if (ctx.onPin && i >= 0) ctx.onPin(i, summary(i));
  });
  regions.on("region-double-clicked", (region: Region) => region.play(true));

  function clampEnd(end: number): number {
    return duration ? Math.min(end, duration) : end;
  }

  function lastSpeaker(): string {
    return segments.length ? segments[segments.length - 1].speaker ?? "" : "";
  }

  function summary(i: number): string {
    const s = segments[i];
    return s ? `#${i + 1} ${formatSeconds(s.start)}–${formatSeconds(s.end)} ${s.label ?? s.speaker ?? ""}`.trim() : "";
  }

  function chooseLabel(value: string): void {
    currentLabel = value;
    labelButtons.forEach((b, i) => b.classList.toggle("on", labels[i].value === value));
    if (selected >= 0 && segments[selected] && segments[selected].label !== value && labels.length) {
      const next = clone(segments);
      next[selected].label = value;
      segments = next;
      render();
      syncRegions();
      ctx.onChange(clone(next));
    }
  }

  function syncRegions(): void {
    if (!ws.getDuration()) return;
    applying = true;
    regions.clearRegions();
    regionIds = segments.map((s, i) => {
      const id = `seg-${++serial}`;
      const flagged = commentsAt(comments, i).length > 0;
      const color = flagged ? "#e11d48" : colorFor(labels, s.label);
      regions.addRegion({
        id,
        start: s.start,
        end: s.end,
        color: alpha(color, i === selected ? 0.38 : 0.2),
        drag: !ctx.readOnly,
        resize: !ctx.readOnly,
        content: h("span", { class: `region-tag${flagged ? " flagged" : ""}` }, `${i + 1}${s.label ? " " + s.label : ""}${s.speaker ? " · " + s.speaker : ""}`),
      });
      return id;
    });
    applying = false;
  }

  function select(i: number): void {
    selected = i;
    list.querySelectorAll(":scope > li").forEach((li, j) => li.classList.toggle("selected", j === i));
    syncRegions();
  }

  function update(i: number, change: Partial<Segment>, coalesce?: string): void {
    segments = clone(segments);
    segments[i] = { ...segments[i], ...change };
    ctx.onChange(clone(segments), coalesce);
  }

  function remove(i: number): void {
    const next = clone(segments);
    next.splice(i, 1);
    segments = next;
    selected = -1;
    render();
    syncRegions();
    ctx.onChange(clone(next));
  }

  const list = h("ol", { class: "entries segments" });
  const speakers = h("datalist", { id: `speakers-${o.name}-${Math.random().toString(36).slice(2, 7)}` });
  const count = h("span", { class: "count" });
  const { root, error } = panel(ctx, h("div", { class: "entries-head" }, count), list, speakers);

  function render(): void {
    count.textContent = t("n_segments", { n: segments.length });
    speakers.replaceChildren(...[...new Set(segments.map((s) => s.speaker).filter(Boolean))].map((s) => h("option", { value: s as string })));
    list.replaceChildren(
      ...segments.map((s, i) =>
        h("li", { class: `entry${i === selected ? " selected" : ""}${commentsAt(comments, i).length ? " flagged" : ""}`, style: `--c:${colorFor(labels, s.label)}`, onclick: () => select(i) },
          h("div", { class: "entry-main" },
            h("span", { class: "entry-n" }, `#${i + 1}`),
            h("button", { type: "button", class: "icon", title: t("play_segment"), "aria-label": t("play_segment"), onclick: (e: Event) => { e.stopPropagation(); ws.play(s.start, s.end); } }, "▶"),
            h("span", { class: "times" }, `${formatSeconds(s.start)} – ${formatSeconds(s.end)}`),
            labels.length ? h("select", { class: "entry-label", disabled: ctx.readOnly, "aria-label": t("label"), onchange: (e: Event) => { update(i, { label: (e.target as HTMLSelectElement).value }); syncRegions(); } }, labels.map((l) => h("option", { value: l.value, selected: l.value === s.label ? true : undefined }, label(l)))) : null,
            o.speakers ? h("input", { type: "text", class: "speaker", list: speakers.id, value: s.speaker ?? "", readOnly: ctx.readOnly, placeholder: t("speaker"), "aria-label": t("speaker_n", { n: i + 1 }), oninput: (e: Event) => update(i, { speaker: (e.target as HTMLInputElement).value }, `speaker:${i}`), onchange: () => syncRegions() }) : null,
            pinButton(ctx, i, summary(i)),
            ctx.readOnly ? null : h("button", { type: "button", class: "icon", title: t("delete"), "aria-label": t("delete"), onclick: (e: Event) => { e.stopPropagation(); remove(i); } }, "✕")),
          o.transcribe ? h("textarea", { class: "seg-text", rows: 2, readOnly: ctx.readOnly, placeholder: t("transcript"), "aria-label": t("transcript_n", { n: i + 1 }), value: s.text ?? "", oninput: (e: Event) => update(i, { text: (e.target as HTMLTextAreaElement).value }, `text:${i}`) }) : null,
          commentNotes(comments, i)),
      ),
    );
    if (!segments.length) list.appendChild(h("li", { class: "empty" }, ctx.readOnly ? t("no_segments") : t("hint_segments")));
  }
  chooseLabel(currentLabel ?? "");
  render();

  return {
    panel: root,
    set(value) {
      const next = Array.isArray(value) ? (clone(value) as Segment[]) : [];
      if (JSON.stringify(next) === JSON.stringify(segments)) return;
      segments = next;
      if (selected >= segments.length) selected = -1;
      render();
      syncRegions();
    },
    key(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return false;
      if (event.key === " " || event.code === "Space") { ws.playPause(); return true; }
      if (event.key === "ArrowLeft") { ws.setTime(Math.max(0, ws.getCurrentTime() - (event.shiftKey ? 5 : 1))); return true; }
      if (event.key === "ArrowRight") { ws.setTime(ws.getCurrentTime() + (event.shiftKey ? 5 : 1)); return true; }
      if (ctx.readOnly) return false;
      const index = hotkeyIndex(event, labels);
      if (index >= 0 && index < labels.length) { chooseLabel(labels[index].value); return true; }
      if ((event.key === "Delete" || event.key === "Backspace") && selected >= 0) { remove(selected); return true; }
      if (event.key === "Escape") { select(-1); return true; }
      return false;
    },
    showErrors(errors: FieldError[]) {
      showFieldErrors(error, o.name, errors);
      list.querySelectorAll(":scope > li").forEach((li, i) => li.classList.toggle("invalid", errors.some((e) => e.path.startsWith(`${o.name}[${i}]`))));
    },
    setComments(next) {
      comments = next;
      render();
      syncRegions();
    },
    destroy() {
      ws.destroy();
    },
    shortcuts: [["Space", t("play_pause")], ["← →", t("key_seek")], ["1–9", t("key_label")], ["Del", t("key_delete_segment")], [t("key_drag"), t("key_new_segment")]],
  };
}
