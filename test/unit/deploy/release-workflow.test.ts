// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the workflow's ${{ }} expressions are plain text here
/**
 * The release workflow publishes what the chart and the manifests install: the image they name,
 * for both architectures ACK nodes come in, only after the checks CI runs, and then the chart.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'

const root = join(import.meta.dirname, '../../..')
const read = (path: string) => readFileSync(join(root, path), 'utf8')

type Step = { uses?: string; run?: string; with?: Record<string, unknown> }
type Job = { needs?: string | string[]; steps: Step[] }
const workflow = parse(read('.github/workflows/release.yml')) as {
  on: { push: { tags: string[] } }
  env: Record<string, string>
  jobs: Record<string, Job>
}
const values = parse(read('deploy/helm/kubeding/values.yaml')) as {
  eventer: { image: { repository: string } }
}
const kustomization = parse(read('deploy/kubernetes/base/kustomization.yaml')) as {
  images: { newName: string }[]
}

t.test('a version tag releases', async (t) => {
  t.same(workflow.on.push.tags, ['v*.*.*'])
})

t.test('the image pushed is the one the chart and the manifests name', async (t) => {
  t.equal(workflow.env.IMAGE, values.eventer.image.repository)
  t.equal(workflow.env.IMAGE, kustomization.images[0]?.newName)
  const build = workflow.jobs.image?.steps.find((s) =>
    s.uses?.startsWith('docker/build-push-action'),
  )
  t.equal(build?.with?.push, true)
  t.same(String(build?.with?.platforms).split(','), ['linux/amd64', 'linux/arm64'])
  t.match(String(build?.with?.tags), '${{ env.IMAGE }}:${{ needs.check.outputs.version }}')
})

t.test('nothing is published before the checks pass, and the chart after the image', async (t) => {
  t.ok(
    workflow.jobs.check?.steps.some((s) => s.run?.trim() === 'bash .ci/run'),
    'the check job runs .ci/run',
  )
  t.equal(workflow.jobs.image?.needs, 'check')
  t.same(workflow.jobs.chart?.needs, ['check', 'image'])
  const chartSteps = workflow.jobs.chart?.steps.map((s) => s.run ?? '').join('\n') ?? ''
  t.match(chartSteps, 'helm package deploy/helm/kubeding')
  t.match(chartSteps, 'helm push')
})
