/**
 * What a person pastes to finish a browser login on a host without a browser (over SSH): the
 * whole redirect URL from the address bar (`http://localhost:1455/auth/callback?code=…&state=…`),
 * the `code#state` a provider's own callback page shows (Anthropic's), or the query alone
 * (`?code=…&state=…`). Pure: the caller compares the state and never echoes the code.
 */

/** The code and, when the paste carries one, the state. */
export interface PastedAuthorization {
  code: string;
  state: string | null;
}

/** A code or state: printable ASCII without spaces, as every provider issues them. */
const TOKEN_CHARS = /^[\x21-\x7e]{1,4096}$/;

function clean(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  return v !== '' && TOKEN_CHARS.test(v) ? v : null;
}

function fromParams(params: URLSearchParams, fragment: string): PastedAuthorization | null {
  const code = clean(params.get('code'));
  if (!code) return null;
  // Anthropic's callback puts the state after `#` (`?code=abc#state`).
  const state = clean(params.get('state')) ?? clean(fragment.replace(/^#/, '').replace(/^state=/, ''));
  return { code, state };
}

/**
 * Parses a paste; null when it holds no code (an empty line, a URL without `code=`, an error
 * redirect). Whitespace around it and line breaks inside it (terminal wrapping) are removed.
 */
export function parsePastedAuthorization(text: string): PastedAuthorization | null {
  const value = text.replace(/\s+/g, '');
  if (value === '') return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return null;
    }
    return fromParams(url.searchParams, url.hash);
  }
  const hashAt = value.indexOf('#');
  const head = hashAt >= 0 ? value.slice(0, hashAt) : value;
  const fragment = hashAt >= 0 ? value.slice(hashAt) : '';
  // A query (`?code=…&state=…`, or without the `?`): parameters, never a bare code.
  if (head.startsWith('?') || /(^|&)[a-z_]+=/.test(head)) return fromParams(new URLSearchParams(head.replace(/^\?/, '')), fragment);
  const code = clean(head);
  if (!code) return null;
  return { code, state: hashAt >= 0 ? clean(fragment.slice(1)) : null };
}
