/** `language: zh-CN | en`, default zh-CN, as the interface contract writes it. */
import t from 'tap'
import { ConfigSchema } from '../../../src/config/schema.ts'

t.test('language defaults to zh-CN and takes en', async (t) => {
  t.equal(ConfigSchema.parse({}).language, 'zh-CN')
  t.equal(ConfigSchema.parse({ language: 'en' }).language, 'en')
  t.equal(ConfigSchema.parse({ language: 'zh-CN' }).language, 'zh-CN')
})

t.test('any other language is an error that names the key and the choices', async (t) => {
  for (const language of ['fr', 'zh', 'EN', '', 1]) {
    const parsed = ConfigSchema.safeParse({ language })
    t.notOk(parsed.success, String(language))
    const issue = parsed.error?.issues[0]
    t.same(issue?.path, ['language'])
    t.match(issue?.message, /zh-CN.*en/)
  }
})
