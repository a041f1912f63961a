/** A configuration value that cannot be used; the message says which and why. */
export class ConfigError extends Error {}
