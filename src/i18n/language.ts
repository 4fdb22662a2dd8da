/** The languages kubeding speaks in the group (`language` in the config). */
export const LANGUAGES = ['zh-CN', 'en'] as const

/** `zh-CN` (the default: our users' groups speak Chinese) or `en`. */
export type Language = (typeof LANGUAGES)[number]

/** The config's default language. */
export const DEFAULT_LANGUAGE: Language = 'zh-CN'
