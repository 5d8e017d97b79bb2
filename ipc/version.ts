/** The version of this build of OpenSoul (package.json's, put in by the bundler). */
export const VERSION: string = typeof __OPENSOUL_VERSION__ === 'string' ? __OPENSOUL_VERSION__ : '0.0.0-dev';

/**
 * The wire protocol's version. It changes only when a method changes shape incompatibly;
 * a daemon and a CLI of different builds still talk (SPEC §5: skew is reported, not refused).
 */
export const PROTOCOL_VERSION = 1;
