/** A node's address as this machine dials it. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * How this machine reaches the nodes of a Redis Cluster. The nodes announce the addresses
 * the containers use among themselves (`redis-node-1:7001`); this machine dials the ports
 * published on loopback instead, so each announced address maps to a reachable one.
 */
export interface ClusterAddresses {
  /** Nodes to ask for the slot map first (for the stack: its published ports). */
  readonly seeds: readonly NodeAddress[];
  /** Announced `host:port` → the address reachable from here (ioredis's `natMap`); empty when the announced ones are. */
  readonly natMap: Readonly<Record<string, NodeAddress>>;
}
