// Terminal output: colour only on a terminal (never when piped, never with NO_COLOR or --no-color;
// FORCE_COLOR turns it on anywhere), and tables whose last column is cut to the terminal's width.
import type { CliIo } from "./io.ts";

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const ANSI = /\x1b\[[0-9;]*m/g;

function wrap(enabled: boolean, open: number, close: number): (text: string) => string {
  return enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
}

/** Colour on a terminal unless NO_COLOR (any non-empty value), TERM=dumb or --no-color; FORCE_COLOR forces it. */
export function colourEnabled(io: Pick<CliIo, "env" | "isTTY">, noColor: boolean): boolean {
  if (noColor || (io.env.NO_COLOR ?? "") !== "") return false;
  if ((io.env.FORCE_COLOR ?? "") !== "" && io.env.FORCE_COLOR !== "0") return true;
  return io.isTTY && io.env.TERM !== "dumb";
}

export function createStyle(enabled: boolean): Style {
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    red: wrap(enabled, 31, 39),
    cyan: wrap(enabled, 36, 39),
  };
}

export const visibleLength = (text: string): number => text.replace(ANSI, "").length;

/** Cuts `text` to `width` visible characters with an ellipsis; colour codes are dropped when cutting. */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  const plain = text.replace(ANSI, "");
  return width <= 1 ? plain.slice(0, width) : `${plain.slice(0, width - 1)}…`;
}

/** `True` green, `False` red, anything else yellow: how a condition status reads at a glance. */
export function conditionColour(style: Style, status: string | undefined): (text: string) => string {
  return status === "True" ? style.green : status === "False" ? style.red : style.yellow;
}

/**
 * Columns padded to their widest cell (two spaces apart, like kubectl). With `maxWidth` (a terminal),
 * the last column is cut so that no line wraps; piped output keeps every character.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, maxWidth?: number): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ""))));
  const lines = all.map((row) => {
    const cells = row.map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - visibleLength(cell))));
    const line = cells.join("  ");
    if (maxWidth === undefined || visibleLength(line) <= maxWidth) return line.trimEnd();
    const head = cells.slice(0, -1).join("  ");
    const room = maxWidth - visibleLength(head) - 2;
    return room > 8 ? `${head}  ${truncate(cells.at(-1) ?? "", room)}` : line.trimEnd();
  });
  return `${lines.join("\n")}\n`;
}

/** Word-wraps `text` to `width` (no wrapping without a width); continuation lines start with `indent`. */
export function wrapText(text: string, width: number | undefined, indent: string): string {
  if (width === undefined || visibleLength(indent) + 20 > width) return text;
  const room = width - visibleLength(indent);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && visibleLength(line) + 1 + visibleLength(word) > room) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join(`\n${indent}`);
}
