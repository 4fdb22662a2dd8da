/**
 * A kube-eventer user's flags, copied as they are: `--sink dingtalk:...` and `--sink sls:...`
 * parsed by the real command line, then the whole service against the fake API server, the fake
 * DingTalk and the fake Log Service.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import t from 'tap'
import { createService } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { createFakeDingTalk } from '../helpers/fake-dingtalk.ts'
import { createFakeKubeApi, eventually } from '../helpers/fake-kube-api.ts'
import { startFakeSls } from '../helpers/fake-sls.ts'
import { runCliCaptured } from '../helpers/run-cli.ts'
import { untilReady } from '../helpers/service-rig.ts'

const SIGN = 'SECkubeeventer0123456789'

t.test(
  'kube-eventer sinks: DingTalk alerts with the label and kinds, SLS gets every event',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-sinks-'))
    const kube = await createFakeKubeApi()
    const dingtalk = await createFakeDingTalk({ robots: [{ token: 'tok', secret: SIGN }] })
    const sls = await startFakeSls()
    t.teardown(async () => {
      await Promise.all([kube.stop(), dingtalk.close(), sls.close()])
      rmSync(dir, { recursive: true, force: true })
    })
    const { project, logstore, accessKeyId, accessKeySecret } = sls.config
    const cli = await runCliCaptured(
      [
        '--sink',
        `dingtalk:${dingtalk.url}/robot/send?access_token=tok&level=Warning&label=prod&monitorkinds=Node&sign=${SIGN}&msg_type=markdown`,
        '--sink',
        `sls:https://cn-hangzhou.log.aliyuncs.com?project=${project}&logStore=${logstore}&accessKeyId=${accessKeyId}&accessKeySecret=${accessKeySecret}`,
      ],
      dir,
    )
    if (cli.result.kind !== 'run') throw new Error(`the flags were refused: ${cli.stderr}`)
    const config = { ...cli.result.config, state: { ...cli.result.config.state, dir } }
    t.equal(config.cluster, 'prod')

    const service = await createService({
      config,
      logger: pino({ level: 'silent' }),
      version: '0.0.0-test',
      loadKubeConfig: () => kube.kubeConfig(),
      fetch: sls.fetch,
      kubeBackoff: { initialMs: 20, maxMs: 200 },
      tickMs: 50,
    })
    t.teardown(() => service.stop(500))
    service.start()
    await untilReady(service)
    kube.addEvent(buildEvent({ kind: 'Pod', name: 'api-1', reason: 'BackOff' }))
    kube.addEvent(buildEvent({ kind: 'Node', name: 'node-9', reason: 'KernelOops' }))
    kube.addEvent(buildEvent({ kind: 'Node', name: 'node-9', type: 'Normal', reason: 'Starting' }))
    await eventually(() => dingtalk.messages.length === 1, 'the Node Warning alert')
    await eventually(() => sls.logs.length === 3, 'every event archived in Log Service', 10_000)
    await new Promise((r) => setTimeout(r, 200))
    t.equal(
      dingtalk.messages.length,
      1,
      'monitorkinds=Node kept the Pod out; level kept Normal out',
    )
    const text = dingtalk.messages[0]?.body.markdown.text as string
    t.match(text, 'node-9')
    t.match(text, 'prod')
    t.same(sls.logs.map((l) => l.contents.reason).sort(), ['BackOff', 'KernelOops', 'Starting'])
    t.ok(sls.logs.every((l) => l.contents.cluster === 'prod'))
  },
)
