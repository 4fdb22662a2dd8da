/**
 * The rich text commands build their replies with (`md`), re-exported here because commands
 * import only from `src/chatops`. It is platform-neutral: the DingTalk renderer escapes it.
 */
export {
  clip,
  isMarkdown,
  joinMarkdown,
  type Markdown,
  md,
} from '../draft/rich-text.ts'
