/** The logging the notifier needs: pino's shape (`logger.warn({ robot }, 'what to fix')`). */
export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
}
