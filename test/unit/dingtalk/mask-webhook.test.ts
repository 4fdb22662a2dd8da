import t from 'tap'
import { maskWebhook, redact, robotSecrets } from '../../../src/dingtalk/mask-webhook.ts'

t.test('maskWebhook hides the token and any signature, keeps the rest', async (t) => {
  t.equal(
    maskWebhook('https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=x%2By'),
    'https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=***&sign=***',
  )
  t.equal(maskWebhook('https://u:p@example.com/hook?x=1'), 'https://example.com/hook?x=1')
  t.equal(maskWebhook('not a url access_token=abc'), '***')
  t.equal(maskWebhook('https://example.com/hook'), 'https://example.com/hook')
})

t.test('redact removes the token and the secret, raw and URL-encoded', async (t) => {
  const secrets = robotSecrets('https://h/robot/send?access_token=tok%2Fen', 'SEC+/x')
  const text = 'tok/en tok%2Fen SEC+/x SEC%2B%2Fx fine'
  t.equal(redact(text, secrets), '*** *** *** *** fine')
  t.same(robotSecrets('::', undefined), [])
})
