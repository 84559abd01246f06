// The interface spec and the API payloads, as dure/projects/spec.py and dure/work/schemas.py define them.

export interface Option {
  value: string;
  label?: string;
  hotkey?: string | null;
}

export type InputType = "text" | "prompt" | "image" | "audio" | "video" | "document" | "url" | "number" | "json";

export interface InputField {
  name: string;
  type: InputType;
  label?: string;
  required?: boolean;
}

export interface OutputField {
  name: string;
  type: string;
  label?: string;
  description?: string;
  required?: boolean;
  source?: string | null;
  options?: Option[];
  labels?: Option[];
  criteria?: Option[];
  min_selected?: number;
  max_selected?: number | null;
  min_length?: number;
  max_length?: number;
  min?: number | null;
  max?: number | null;
  integer?: boolean;
  allow_tie?: boolean;
  strength?: boolean;
  require_rationale?: boolean;
  min_count?: number;
  max_count?: number;
  allow_overlap?: boolean;
  transcribe?: boolean;
  speakers?: boolean;
  accept?: string[];
  max_bytes?: number;
  max_files?: number;
}

export interface Spec {
  inputs: InputField[];
  outputs: OutputField[];
}

export type Answer = Record<string, unknown>;
export type ItemData = Record<string, unknown>;

export interface RegionComment {
  comment: string;
  output?: string | null;
  index?: number | null;
}

export interface Item {
  id: number;
  external_id: string | null;
  data: ItemData;
}

export interface FaqLink {
  id: number;
  text: string;
  url: string;
}

export interface Rework {
  round: number;
  reasons: string[];
  faq?: FaqLink[];
  comment: string;
  comments: RegionComment[];
  previous_answer: Answer | null;
}

/** A model's (or an import's) suggested answer: the worker accepts it or corrects it (dure/assist). */
export interface Suggestion {
  backend: string;
  answer: Answer;
  confidence: number | null;
}

export interface Assignment {
  id: number;
  project_id: number;
  item: Item;
  expires_at: string;
  active_seconds: number;
  rework: Rework | null;
  suggestion?: Suggestion | null;
}

export interface AssistFlag {
  code: string;
  score: number;
  [key: string]: unknown;
}

/** Why a reviewer should look at this submission first. */
export interface AssistFlags {
  score: number;
  flags: AssistFlag[];
  suggestion_shown: boolean;
  similarity: number | null;
}

export interface ReviewOf {
  id: number;
  decision: string;
  reasons: string[];
  comment: string;
  region_comments: RegionComment[];
  decided_at: string | null;
}

export interface HistoryEntry {
  submission_id: number;
  version: number;
  worker: string | null;
  answer: Answer;
  state: string;
  submitted_at: string;
  active_seconds: number;
  reviews: ReviewOf[];
}

export interface Review {
  id: number;
  project_id: number;
  /** 1, or 2 for the project's 2nd review of an answer another reviewer approved */
  stage?: number;
  expires_at: string;
  submission: { id: number; version: number; answer: Answer; worker: string | null; submitted_at: string; active_seconds: number };
  item: Item;
  assist?: AssistFlags | null;
  history: HistoryEntry[];
}

export interface FieldError {
  path: string;
  error: string;
}

export interface Config {
  mode: "work" | "review";
  project: { id: number; name: string; spec: Spec; guideline_html: string };
  api: string;
  media_url: string;
  csrf: string;
  lang: string;
  home_url: string;
  strings: Record<string, string>;
  review_reasons: string[];
  faq?: FaqLink[];
}
