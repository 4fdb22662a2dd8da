/** The pino-compatible logger the archive writes to (pino and Fastify's logger both fit). */
export interface ArchiveLogger {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}
