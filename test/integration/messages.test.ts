/**
 * The messages through the whole service to the fake DingTalk (which checks the signature, the
 * robot's keywords and the 20,000-byte limit the way DingTalk does), in each language: a huge,
 * hostile event still arrives as one accepted message with the layout of that language.
 */
import t from 'tap'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { createRig, untilReady } from '../helpers/service-rig.ts'

const expected = {
  'zh-CN': { title: /^警告 Pod payments\/api-7d9f: BackOff$/, facts: /共 1 次 · 最近 / },
  en: { title: /^Warning Pod payments\/api-7d9f: BackOff$/, facts: /1 time · last / },
} as const

for (const language of ['zh-CN', 'en'] as const) {
  t.test(
    `${language}: a 100 KB event with markup is accepted, under the limit, keyword in`,
    async (t) => {
      const rig = await createRig(t, {
        robot: { keywords: ['告警', 'kubeding'] },
        config: { language, alerting: { muteLinks: true } },
      })
      const service = await rig.start()
      await untilReady(service)
      const hostile = `[x](http://evil) @all\n# fake ${'镜像拉取失败 '.repeat(15_000)}`
      rig.kube.addEvent(
        buildEvent({
          namespace: 'payments',
          name: 'api-7d9f',
          reason: 'BackOff',
          message: hostile,
        }),
      )
      await eventually(() => rig.dingtalk.messages.length === 1, 'the alert')
      const refused = rig.dingtalk.requests.filter(
        (r) => r.answer && 'errcode' in r.answer && r.answer.errcode !== 0,
      )
      t.same(refused, [], 'DingTalk refused nothing (no 460101, no 310000)')
      const { body } = rig.dingtalk.messages[0] as {
        body: { markdown: { title: string; text: string } }
      }
      t.ok(Buffer.byteLength(JSON.stringify(body)) <= 20_000)
      t.match(body.markdown.title, expected[language].title)
      t.match(
        body.markdown.text,
        /^#### 【(警告|Warning)】rig · Pod payments\/api-7d9f · BackOff\n\n/,
      )
      t.match(body.markdown.text, expected[language].facts)
      t.match(body.markdown.text, /kubectl -n payments logs api-7d9f --previous/)
      t.match(
        body.markdown.text,
        /dtmd:\/\/dingtalkclient\/sendMessage\?content=mute%20ns%3Dpayments/,
      )
      t.match(body.markdown.text, /告警$/, 'the keyword, added since the event did not carry one')
      t.notMatch(body.markdown.text, /@all|\[x\]|\n# fake/)
    },
  )
}
