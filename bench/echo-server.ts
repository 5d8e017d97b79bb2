// The baseline for RPC throughput: a bare NDJSON server on the same kind of socket, answering
// each line with a minimal JSON-RPC result and doing nothing else.
import net from 'node:net';

const path = process.argv[2] as string;
const server = net.createServer((sock) => {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    let out = '';
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const id = (JSON.parse(line) as { id: unknown }).id;
      out += `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":null}\n`;
    }
    if (out) sock.write(out);
  });
  sock.on('error', () => undefined);
});
server.listen(path, () => process.stdout.write('ready\n'));
