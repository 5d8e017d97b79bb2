/** A tool's streamed Anthropic request through the local proxy (plain http, its own connection), for the proxy's end-to-end tests. */
import http from 'node:http';

/** A streamed request with the tool's key: resolves with its status once the headers arrive, and `done` with the whole text. */
export function startStream(port: number, key: string): Promise<{ status: number; done: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/anthropic/v1/messages',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        agent: false,
      },
      (res) => {
        const done = new Promise<string>((ok, fail) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => ok(text));
          res.on('error', fail);
          res.on('aborted', () => fail(new Error('the stream was cut')));
        });
        resolve({ status: res.statusCode ?? 0, done });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

/** A streamed request read to its end; resolves with its status and the text received. */
export async function streamed(port: number, key: string): Promise<{ status: number; text: string }> {
  const { status, done } = await startStream(port, key);
  return { status, text: await done };
}
