/**
 * JSON(C) parsing that is safe to report: `JSON.parse`'s messages quote the input (a secret
 * could ride along into a log or status), so every file is parsed with jsonc-parser and errors
 * are rewritten to `line L, column C: <what>` — a position, never content.
 */
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';
import { dict } from './dict.js';

export interface ParsePosition {
  line: number;
  column: number;
  /** e.g. "line 3, column 14: property name expected". */
  message: string;
}

export type ParseOutcome = { ok: true; value: unknown; warnings: string[] } | { ok: false; error: ParsePosition };

const codeWords: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: 'colon expected',
  CommaExpected: 'comma expected',
  CloseBraceExpected: 'closing brace expected',
  CloseBracketExpected: 'closing bracket expected',
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character',
};

/** Line and column (1-based) of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describeError(text: string, err: ParseError): ParsePosition {
  const { line, column } = positionOf(text, err.offset);
  const code = printParseErrorCode(err.error);
  return { line, column, message: `line ${line}, column ${column}: ${codeWords[code] ?? code}` };
}

/**
 * How deep a file may nest. jsonc-parser (and our tree walk) recurse once per level, so valid
 * JSON nested a few thousand deep overflows the stack; no file of ours needs more than ~6.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The offset where `text` first nests deeper than `limit` (brackets outside strings and
 * comments), or -1. One linear pass with no recursion, run before any recursive parser sees
 * the text. Unbalanced or malformed input is left to the parser to report.
 */
export function tooDeepAt(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22 || s === 0x0a) break; // a line break ends an unterminated string for jsonc-parser too
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const end = text.indexOf('\n', i + 2);
      i = end === -1 ? text.length : end;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

/**
 * Parses JSON with comments and trailing commas. A file nested deeper than MAX_JSON_DEPTH does
 * not parse (a position, like any other error) rather than overflowing the stack. An empty (or whitespace-only) file does not
 * parse: an editor that truncates before writing must not make us read "no profiles".
 * Object keys `__proto__` are dropped (with a warning) so a file cannot change an object's
 * prototype.
 */
export function parseJsonc(text: string): ParseOutcome {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { ok: false, error: { line: 1, column: 1, message: 'line 1, column 1: the file is empty' } };
  const deep = tooDeepAt(body);
  if (deep !== -1) {
    const { line, column } = positionOf(body, deep);
    return { ok: false, error: { line, column, message: `line ${line}, column ${column}: nested deeper than ${MAX_JSON_DEPTH} levels` } };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) return { ok: false, error: describeError(body, first) };
  if (!tree) return { ok: false, error: { line: 1, column: 1, message: 'line 1, column 1: value expected' } };
  const warnings: string[] = [];
  return { ok: true, value: toValue(tree, warnings), warnings };
}

function toValue(node: Node, warnings: string[]): unknown {
  switch (node.type) {
    case 'object': {
      const out = dict<unknown>();
      for (const prop of node.children ?? []) {
        const [keyNode, valueNode] = prop.children ?? [];
        if (!keyNode || !valueNode) continue;
        const key = String(keyNode.value);
        if (key === '__proto__') {
          warnings.push('a "__proto__" key was ignored');
          continue;
        }
        out[key] = toValue(valueNode, warnings);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map((child) => toValue(child, warnings));
    default:
      return node.value as unknown;
  }
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
