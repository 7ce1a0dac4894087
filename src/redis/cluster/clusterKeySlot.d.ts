/** The package ships no types; ioredis itself routes with it. */
declare module 'cluster-key-slot' {
  /** CRC16 of the key (or of its `{hash tag}`) modulo 16384: Redis Cluster's hash slot. */
  function calculateSlot(key: string | Buffer): number;
  export = calculateSlot;
}
