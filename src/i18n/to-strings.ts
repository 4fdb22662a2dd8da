/** The strings of a language. */
import { en } from './en.ts'
import type { Language } from './language.ts'
import type { Strings } from './strings.ts'
import { zhCN } from './zh-cn.ts'

const BY_LANGUAGE: Readonly<Record<Language, Strings>> = { 'zh-CN': zhCN, en }

/** Every sentence kubeding says, in `language`. */
export const toStrings = (language: Language): Strings => BY_LANGUAGE[language]
