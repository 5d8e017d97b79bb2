/**
 * In-place edits of `opensoul.json` with jsonc-parser's edit API, so the person's comments,
 * formatting and trailing commas survive (§3). Only `auth.profiles.<id>` (metadata, no secrets)
 * and `auth.order` are ever touched by the daemon.
 */
import { applyEdits, modify, parseTree, findNodeAtLocation } from 'jsonc-parser';
import type { FormattingOptions, JSONPath } from 'jsonc-parser';

function formatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.includes('\t'), tabSize: indent.includes('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

function edit(text: string, path: JSONPath, value: unknown): string {
  return applyEdits(text, modify(text, path, value, { formattingOptions: formatting(text) }));
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
    next = edit(next, ['auth', 'order', provider], ids.filter((x) => x !== id));
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
