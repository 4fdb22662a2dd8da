/**
 * Node conditions in numbers, end to end with no Event: a flapping condition, and many nodes at
 * once within the rate budget (digests account for every message).
 */
import t from 'tap'
import { buildNode } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import {
  KERNEL,
  KERNEL_OK,
  markdowns,
  quiet,
  startWithNodes,
  titles,
} from '../helpers/node-conditions.ts'
import { digestOccurrences } from '../helpers/read-message.ts'
import { createRig } from '../helpers/service-rig.ts'
import { isoAgo } from '../helpers/test-clock.ts'

const fastDigests = { digestSpacingMs: 100, retryDelayMs: 50, maxRetryDelayMs: 200 }

t.test('a condition flapping 60 times: one problem and one resolved with the count', async (t) => {
  const rig = await createRig(t, { config: { language: 'en', alerting: { groupWindow: '2s' } } })
  rig.kube.addNode(buildNode('node-6'))
  await startWithNodes(rig)
  for (let i = 0; i < 60; i++) {
    rig.kube.updateNode('node-6', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
    await quiet(50)
    rig.kube.updateNode('node-6', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
    await quiet(50)
  }
  await eventually(() => rig.dingtalk.messages.length === 2, 'problem and resolved', 10_000)
  await quiet(2_500)
  t.equal(rig.dingtalk.messages.length, 2, 'never one per flip')
  t.equal(titles(rig)[0], 'Warning Node node-6: KernelDeadlock')
  t.match(titles(rig)[1], /^Resolved Node node-6/)
  t.ok(markdowns(rig)[1]?.text.includes('turned into a problem 60 times'))
})

t.test('40 nodes at once within the rate budget: digests account for every one', async (t) => {
  const rig = await createRig(t, { config: { language: 'en', alerting: { groupWindow: '1s' } } })
  for (let i = 0; i < 40; i++) rig.kube.addNode(buildNode(`n${i}`))
  const service = await startWithNodes(rig, { notifierTuning: fastDigests })
  for (let i = 0; i < 40; i++) rig.kube.updateNode(`n${i}`, [KERNEL])
  const delivered = () =>
    (
      service.store.db
        .prepare(
          "SELECT coalesce(sum(occurrences), 0) AS n FROM deliveries WHERE errcode = 0 AND kind != 'notice'",
        )
        .get() as { n: number }
    ).n
  await eventually(() => delivered() >= 40, '40 node problems delivered', 10_000)
  await quiet(300)
  t.equal(delivered(), 40, 'each once')
  t.ok(rig.dingtalk.messages.length <= 20, `${rig.dingtalk.messages.length} messages`)
  const digests = markdowns(rig).filter((m) => digestOccurrences(m.text) !== undefined)
  t.ok(digests.length > 0, 'the rest merged into digests')
  const inDigests = digests.reduce((n, m) => n + (digestOccurrences(m.text) ?? 0), 0)
  t.equal(inDigests + (rig.dingtalk.messages.length - digests.length), 40, 'none lost')
  const refused = rig.dingtalk.requests.filter(
    (r) => r.answer && 'errcode' in r.answer && r.answer.errcode !== 0,
  )
  t.same(refused, [], 'never over the rate')
})
