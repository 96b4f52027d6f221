/**
 * Reference listing from tshark: for every TCP stream of a capture, the bytes per direction that
 * `tshark -r F -q -z follow,tcp,raw,N` shows (several -z follow per tshark run to keep it quick).
 *
 *   node dist/scripts/tshark-follow.js capture.pcap    -> one JSON line per stream
 */
import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface TsharkStream {
  stream: number;
  /** "ip:port" (IPv6 without brackets) of node 0 / node 1 */
  node0: string;
  node1: string;
  bytes0: Buffer;
  bytes1: Buffer;
}

export function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const run = (args: string[]): string =>
  execFileSync('tshark', args, { maxBuffer: 1 << 30, encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] });

export function tsharkStreamIds(file: string): number[] {
  const out = run(['-r', file, '-T', 'fields', '-e', 'tcp.stream', '-Y', 'tcp']);
  return [...new Set(out.split('\n').filter((l) => l.trim() !== '').map(Number))].sort((a, b) => a - b);
}

function endpoint(s: string): string {
  const m = /^\[(.*)\]:(\d+)$/.exec(s);
  return m ? `${m[1]}:${m[2]}` : s;
}

export function tsharkFollow(file: string, batch = 50): TsharkStream[] {
  return tsharkFollowIds(file, tsharkStreamIds(file), batch);
}

/**
 * One tshark run: follow streams 0..guess-1 (guess = the number of flows we found) and, in the same
 * pass, list every packet's tcp.stream so a stream beyond the guess is still noticed (`allIds`).
 */
export async function tsharkFollowGuess(file: string, guess: number): Promise<{ streams: TsharkStream[]; allIds: number[] }> {
  const args = ['-r', file, '-T', 'fields', '-e', 'tcp.stream'];
  for (let id = 0; id < guess; id++) args.push('-z', `follow,tcp,raw,${id}`);
  const text = await new Promise<string>((resolve, reject) =>
    execFile('tshark', args, { maxBuffer: 1 << 30, encoding: 'latin1' }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  const cut = text.indexOf('\n====');
  const fieldPart = cut < 0 ? text : text.slice(0, cut);
  const allIds = [...new Set(fieldPart.split('\n').filter((l) => /^\d+$/.test(l)).map(Number))].sort((a, b) => a - b);
  const streams = parseFollow(cut < 0 ? '' : text.slice(cut)).filter((s) => s.node0 !== '' || s.bytes0.length || s.bytes1.length);
  return { streams: streams.sort((a, b) => a.stream - b.stream), allIds };
}

function parseFollow(text: string): TsharkStream[] {
  const result: TsharkStream[] = [];
  {
    for (const block of text.split(/^=+$/m)) {
      const f = /Filter: tcp\.stream eq (\d+)/.exec(block);
      if (!f) continue;
      const n0 = /Node 0: (\S+)/.exec(block);
      const n1 = /Node 1: (\S+)/.exec(block);
      const h0: string[] = [];
      const h1: string[] = [];
      for (const line of block.split('\n')) {
        if (/^\t[0-9a-f]+$/.test(line)) h1.push(line.slice(1));
        else if (/^[0-9a-f]+$/.test(line)) h0.push(line);
      }
      result.push({
        stream: Number(f[1]),
        node0: n0 ? endpoint(n0[1]) : '',
        node1: n1 ? endpoint(n1[1]) : '',
        bytes0: Buffer.from(h0.join(''), 'hex'),
        bytes1: Buffer.from(h1.join(''), 'hex'),
      });
    }
  }
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of tsharkFollow(process.argv[2])) {
    process.stdout.write(
      JSON.stringify({ stream: s.stream, node0: s.node0, node1: s.node1, bytes0: s.bytes0.length, bytes1: s.bytes1.length }) + '\n',
    );
  }
}

/** `follow,tcp,raw` of the given streams only (several per tshark run). */
export function tsharkFollowIds(file: string, ids: number[], batch = 50): TsharkStream[] {
  const result: TsharkStream[] = [];
  for (let i = 0; i < ids.length; i += batch) {
    const args = ['-r', file, '-q'];
    for (const id of ids.slice(i, i + batch)) args.push('-z', `follow,tcp,raw,${id}`);
    result.push(...parseFollow(run(args)));
  }
  return result.sort((a, b) => a.stream - b.stream);
}

/**
 * Every TCP stream of a capture with the endpoints of its first packet ("ip:port>ip:port"), and the
 * streams tshark's FTP dissector links to the PASV/EPSV/PORT/EPRT that announced them (only streams
 * carrying payload are dissected as ftp-data).
 */
export function tsharkStreamsOf(file: string): { first: Map<number, string>; ftpData: Set<number> } {
  // linked to an announcement (a setup method); tshark also takes any connection from port 20 for ftp-data
  const out = run(['-r', file, '-Y', 'ftp-data.setup-method', '-T', 'fields', '-e', 'tcp.stream']);
  const ftpData = new Set(out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number));
  const first = new Map<number, string>();
  const all = run(['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport']);
  for (const line of all.split('\n')) {
    const f = line.split('\t');
    const id = Number(f[0]);
    if (f.length < 7 || first.has(id)) continue;
    first.set(id, `${f[1] || f[2]}:${f[3]}>${f[4] || f[5]}:${f[6]}`);
  }
  return { first, ftpData };
}

export interface TsharkTransfer {
  /** the data connection's stream */
  stream: number;
  /** the command it answers: its frame's time (µs), the client's "ip:port" on the control connection, the verb */
  commandUs: number;
  client: string;
  command: string;
}

/** The data connections tshark's FTP dissector links to a transfer command (`ftp-data.command-frame`). */
export function tsharkTransfers(file: string): TsharkTransfer[] {
  const out = run(['-r', file, '-Y', 'ftp-data.command-frame', '-T', 'fields', '-e', 'tcp.stream', '-e', 'ftp-data.command-frame', '-e', 'ftp-data.command']);
  const byStream = new Map<number, { frame: number; command: string }>();
  for (const line of out.split('\n')) {
    const f = line.split('\t');
    if (f.length < 3 || !/^\d+$/.test(f[0]) || byStream.has(Number(f[0]))) continue;
    byStream.set(Number(f[0]), { frame: Number(f[1]), command: f[2].split(' ')[0].toUpperCase() });
  }
  if (byStream.size === 0) return [];
  const frames = new Set([...byStream.values()].map((v) => v.frame));
  const info = new Map<number, { us: number; client: string }>();
  const all = run(['-r', file, '-Y', 'ftp.request', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport']);
  for (const line of all.split('\n')) {
    const f = line.split('\t');
    if (f.length < 5 || !frames.has(Number(f[0]))) continue;
    const [sec, frac = ''] = f[1].split('.');
    info.set(Number(f[0]), { us: Number(sec) * 1e6 + Number((frac + '000000').slice(0, 6)), client: `${f[2] || f[3]}:${f[4]}` });
  }
  const result: TsharkTransfer[] = [];
  for (const [stream, v] of byStream) {
    const i = info.get(v.frame);
    if (i) result.push({ stream, commandUs: i.us, client: i.client, command: v.command });
  }
  return result.sort((a, b) => a.stream - b.stream);
}
