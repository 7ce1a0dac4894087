import { isIP } from 'node:net';
import type { ComposePort, PortProtocol } from '../model';
import type { TreeNode } from '../yamlTree';
import { Checker } from './check';

const PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp', 'sctp'];
const SHORT = 'a port mapping like "127.0.0.1:6379:6379"';
const LONG_KEYS = ['target', 'published', 'host_ip', 'protocol', 'mode'];

interface Range {
  readonly start: number;
  readonly end: number;
}

function parseRange(text: string, min: number): Range | string {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) return `"${text}" is not a port or a port range`;
  const start = Number(match[1]);
  const end = match[2] === undefined ? start : Number(match[2]);
  for (const port of [start, end]) if (port < min || port > 65535) return `port ${port} is out of range ${min}-65535`;
  if (end < start) return `the range ${text} ends before it starts`;
  return { start, end };
}

function rangeText(range: Range): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

function hostIp(text: string): string | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return isIP(bare) ? bare : undefined;
}

/**
 * Short syntax as Docker parses it (`[[ip:]published:]target[/protocol]`, ranges on both
 * sides, IPv6 hosts bracketed or not). A container range maps one to one onto a host
 * range of the same length; one container port with a host range lets the engine pick.
 * Returns the mappings, or why the text is not one.
 */
export function parsePortSpec(spec: string): ComposePort[] | string {
  let body = spec.trim();
  let protocol: PortProtocol = 'tcp';
  const slash = body.lastIndexOf('/');
  if (slash >= 0) {
    const proto = body.slice(slash + 1).toLowerCase();
    if (!PROTOCOLS.includes(proto as PortProtocol)) {
      return `unknown protocol "${body.slice(slash + 1)}" (tcp, udp or sctp)`;
    }
    protocol = proto as PortProtocol;
    body = body.slice(0, slash);
  }
  const parts = body.split(':');
  const container = parts[parts.length - 1] ?? '';
  const published = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
  const ipText = parts.length >= 3 ? parts.slice(0, -2).join(':') : '';
  let ip: string | undefined;
  if (ipText !== '') {
    ip = hostIp(ipText);
    if (ip === undefined) return `"${ipText}" is not an IP address`;
  }
  const target = parseRange(container, 1);
  if (typeof target === 'string') return target;
  const host = published === '' ? undefined : parseRange(published, 0);
  if (typeof host === 'string') return host;

  const base = { protocol, ...(ip !== undefined ? { hostIp: ip } : {}) };
  const count = target.end - target.start + 1;
  if (count === 1) {
    return [{ target: target.start, ...(host ? { published: rangeText(host) } : {}), ...base }];
  }
  if (host && host.end - host.start + 1 !== count) return 'the host and container port ranges differ in length';
  const ports: ComposePort[] = [];
  for (let i = 0; i < count; i++) {
    ports.push({ target: target.start + i, ...(host ? { published: String(host.start + i) } : {}), ...base });
  }
  return ports;
}

/** One item of `ports:`, short (string or number) or long syntax. */
export function readPort(check: Checker, node: TreeNode): ComposePort[] | undefined {
  if (node.kind === 'scalar') {
    if (node.failed) return undefined;
    if (typeof node.value === 'number') {
      return Number.isInteger(node.value) && node.value >= 1 && node.value <= 65535
        ? [{ target: node.value, protocol: 'tcp' }]
        : check.expected(node, SHORT, 'out of range 1-65535');
    }
    if (typeof node.value !== 'string') return check.expected(node, SHORT);
    const parsed = parsePortSpec(node.value);
    return typeof parsed === 'string' ? check.expected(node, SHORT, parsed) : parsed;
  }
  const map = check.map(node, `${SHORT} or a mapping with target, published, host_ip, protocol, mode`);
  if (!map) return undefined;
  check.keys(map, LONG_KEYS);
  const targetNode = Checker.get(map, 'target');
  if (!targetNode) return check.report(map, 'a port needs "target" (the port inside the container)');
  const target = check.integer(targetNode, 'a port number 1-65535', 1, 65535);

  let published: string | undefined;
  const publishedNode = Checker.get(map, 'published');
  if (publishedNode && !(publishedNode.kind === 'scalar' && publishedNode.value === null)) {
    const text = check.text(publishedNode, 'a host port or range like 6379 or "8000-8010"', undefined);
    if (text !== undefined) {
      const range = parseRange(text, 0);
      if (typeof range === 'string') {
        check.expected(publishedNode, 'a host port or range like 6379 or "8000-8010"', range);
      } else published = rangeText(range);
    }
  }
  let ip: string | undefined;
  const ipNode = Checker.get(map, 'host_ip');
  if (ipNode) {
    const text = check.string(ipNode, 'an IP address like "127.0.0.1"');
    if (text !== undefined) {
      ip = hostIp(text);
      if (ip === undefined) check.expected(ipNode, 'an IP address like "127.0.0.1"');
    }
  }
  let protocol: PortProtocol = 'tcp';
  const protocolNode = Checker.get(map, 'protocol');
  if (protocolNode) {
    const text = check.string(protocolNode, '"tcp", "udp" or "sctp"');
    if (text !== undefined && PROTOCOLS.includes(text.toLowerCase() as PortProtocol)) {
      protocol = text.toLowerCase() as PortProtocol;
    } else if (text !== undefined) check.expected(protocolNode, '"tcp", "udp" or "sctp"');
  }
  let mode: 'host' | 'ingress' | undefined;
  const modeNode = Checker.get(map, 'mode');
  if (modeNode) {
    const text = check.string(modeNode, '"host" or "ingress"');
    if (text === 'host' || text === 'ingress') mode = text;
    else if (text !== undefined) check.expected(modeNode, '"host" or "ingress"');
  }
  if (target === undefined) return undefined;
  return [
    {
      target,
      ...(published !== undefined ? { published } : {}),
      ...(ip !== undefined ? { hostIp: ip } : {}),
      protocol,
      ...(mode !== undefined ? { mode } : {}),
    },
  ];
}
