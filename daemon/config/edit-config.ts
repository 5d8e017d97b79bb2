/**
 * In-place edits of `opensoul.json` with jsonc-parser's edit API, so the person's comments,
 * formatting and trailing commas survive (§3). Only `auth.profiles.<id>` (metadata, no secrets)
 * and `auth.order` are ever touched by the daemon.
 */
import { applyEdits, createScanner, findNodeAtLocation, modify, parse, parseTree } from 'jsonc-parser';
import type { FormattingOptions, JSONPath, ParseError, SyntaxKind } from 'jsonc-parser';

/** jsonc-parser's SyntaxKind values (a const enum: not importable as a value under isolated modules). */
const KIND = { OpenBrace: 1, OpenBracket: 3, Comma: 5, LineComment: 12, BlockComment: 13, LineBreak: 14, Trivia: 15, EOF: 17 } as const;

function formatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.includes('\t'), tabSize: indent.includes('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** How many syntax errors a JSONC text has (trailing commas allowed, as the config reader allows them). */
function syntaxErrors(text: string): number {
  const errors: ParseError[] = [];
  parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors.length;
}

/**
 * Removes a comma that directly follows `{` or `[` (comments and whitespace between them
 * allowed), found with jsonc-parser's own scanner, so a comma inside a string is never touched.
 * jsonc-parser leaves exactly that behind when it removes the only entry of an object or array
 * that had a trailing comma: `{ "a": 1, }` minus `a` became `{ , }`, a file that no longer parses.
 */
function dropLeadingCommas(text: string): string {
  const scanner = createScanner(text, false);
  const cut: number[] = [];
  let previous: SyntaxKind | number | null = null;
  for (let kind: number = scanner.scan(); kind !== KIND.EOF; kind = scanner.scan()) {
    if (kind === KIND.Trivia || kind === KIND.LineBreak || kind === KIND.LineComment || kind === KIND.BlockComment) continue;
    if (kind === KIND.Comma && (previous === KIND.OpenBrace || previous === KIND.OpenBracket)) {
      cut.push(scanner.getTokenOffset());
      continue;
    }
    previous = kind;
  }
  let out = text;
  for (const at of cut.reverse()) out = out.slice(0, at) + out.slice(at + 1);
  return out;
}

function edit(text: string, path: JSONPath, value: unknown): string {
  const next = applyEdits(text, modify(text, path, value, { formattingOptions: formatting(text) }));
  // An edit must never leave a file that parses one that does not (see dropLeadingCommas).
  if (syntaxErrors(next) <= syntaxErrors(text)) return next;
  return dropLeadingCommas(next);
}

/** Records `auth.profiles.<id> = {provider, mode}`; creates the file's skeleton when there is none. */
export function recordProfileMetadata(text: string | null, id: string, meta: { provider: string; mode: string }): { next: string | null; changed: boolean } {
  const source = text ?? '{\n}\n';
  const tree = parseTree(source);
  const existing = tree ? findNodeAtLocation(tree, ['auth', 'profiles', id]) : undefined;
  if (existing) {
    const provider = findNodeAtLocation(existing, ['provider'])?.value as unknown;
    const mode = findNodeAtLocation(existing, ['mode'])?.value as unknown;
    if (provider === meta.provider && mode === meta.mode) return { next: null, changed: false };
  }
  return { next: edit(source, ['auth', 'profiles', id], { provider: meta.provider, mode: meta.mode }), changed: true };
}

/** Removes `auth.profiles.<id>` and the id from every `auth.order` list. */
export function forgetProfile(text: string | null, id: string): { next: string | null; changed: boolean } {
  if (text === null) return { next: null, changed: false };
  let next = text;
  const tree = parseTree(next);
  if (tree && findNodeAtLocation(tree, ['auth', 'profiles', id])) next = edit(next, ['auth', 'profiles', id], undefined);
  const order = parseTree(next);
  const orderNode = order ? findNodeAtLocation(order, ['auth', 'order']) : undefined;
  for (const prop of orderNode?.type === 'object' ? (orderNode.children ?? []) : []) {
    const provider = prop.children?.[0]?.value as string | undefined;
    const list = prop.children?.[1];
    if (provider === undefined || list?.type !== 'array') continue;
    const ids = (list.children ?? []).map((c) => c.value as unknown);
    if (!ids.includes(id)) continue;
    next = edit(
      next,
      ['auth', 'order', provider],
      ids.filter((x) => x !== id),
    );
  }
  return { next: next === text ? null : next, changed: next !== text };
}

/** Sets `auth.order.<provider>` to `ids` (the rest of the file, comments included, untouched). */
export function setConfigAuthOrder(text: string | null, provider: string, ids: string[]): { next: string | null; changed: boolean } {
  const source = text ?? '{\n}\n';
  const tree = parseTree(source);
  const current = tree ? (findNodeAtLocation(tree, ['auth', 'order', provider])?.children ?? []).map((c) => c.value as unknown) : [];
  if (text !== null && JSON.stringify(current) === JSON.stringify(ids)) return { next: null, changed: false };
  return { next: edit(source, ['auth', 'order', provider], ids), changed: true };
}

/** Sets `secrets.providers.<name>` (a provider's config: paths, commands, no secret). */
export function setSecretProvider(text: string | null, name: string, value: Record<string, unknown>): { next: string | null; changed: boolean } {
  const source = text ?? '{\n}\n';
  return { next: edit(source, ['secrets', 'providers', name], value), changed: true };
}
