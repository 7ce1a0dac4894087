/**
 * Scripts that run MIGRATE … AUTH with the password they are given, to a port that refuses
 * the connection (1): each call fails (IOERR) after the server has shown or logged it.
 */

/** EVAL / SCRIPT LOAD text: MIGRATE KEYS[1] with the password ARGV[1]. */
export const MIGRATE_SCRIPT = "return redis.call('migrate','127.0.0.1','1',KEYS[1],'0','100','AUTH',ARGV[1])";

/** FUNCTION LOAD code of the library `movers`: FCALL mv 1 key password. */
export const MIGRATE_LIBRARY =
  "#!lua name=movers\nredis.register_function('mv', function(keys, args) return redis.call('MIGRATE','127.0.0.1','1',keys[1],'0','100','AUTH',args[1]) end)";
