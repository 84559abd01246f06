// Entry point: reads the page's configuration and mounts the labelling or the review workspace.
import "pretendard/dist/web/variable/pretendardvariable-dynamic-subset.css";
import "@annotorious/annotorious/annotorious.css";
import "./styles.css";
import "./phone.css";
import { bootAcademy } from "./academy";
import { ReviewApp } from "./review";
import type { Config } from "./types";
import { setConfig, setStrings } from "./util";
import { WorkApp } from "./work";

function boot(): void {
  if (document.querySelector("[data-academy-question]")) {
    bootAcademy();
    return;
  }
  const mount = document.getElementById("workspace");
  const source = document.getElementById("workspace-config");
  const strings = document.getElementById("workspace-strings");
  if (!mount || !source) return;
  const config = JSON.parse(source.textContent || "{}") as Config;
  config.strings = strings ? (JSON.parse(strings.textContent || "{}") as Record<string, string>) : {};
  setConfig(config);
  setStrings(config.strings);
  const app = config.mode === "review" ? new ReviewApp(mount) : new WorkApp(mount);
  (window as unknown as { dure: unknown }).dure = app;
  void app.start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
